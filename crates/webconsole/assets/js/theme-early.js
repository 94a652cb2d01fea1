// Loaded as a classic script in <head>, before the page is drawn, so a
// remembered theme does not flash the other one first.
(function () {
  var value = null;
  try {
    value = localStorage.getItem("bluewhale.theme");
  } catch (e) {
    value = null;
  }
  if (value !== "light" && value !== "dark") {
    value = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-theme", value);
})();
