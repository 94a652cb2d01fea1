// The sign-in page (its markup is in index.html). Shows the API's message
// on failure; after too many attempts counts down the Retry-After seconds
// and keeps the button off until then.

import { signIn } from "../session.js";
import { applyProps } from "../dom.js";

const form = () => document.getElementById("login-form");
const errorLine = () => document.getElementById("login-error");
const submit = () => document.getElementById("login-submit");

let countdown = null;
let onSignedIn = () => {};

export function initLogin(signedIn) {
  onSignedIn = signedIn;
  form().addEventListener("submit", (event) => {
    event.preventDefault();
    attempt();
  });
}

// Shows the page, with `message` in the error line if given: plain text
// (from the API) or { i18n, i18nArgs } (the console's own).
export function showLogin(message) {
  document.getElementById("login-view").hidden = false;
  if (typeof message === "string") showError(message);
  else if (message) showKeyed(message);
  const username = document.getElementById("login-username");
  (username.value ? document.getElementById("login-password") : username).focus();
}

export function hideLogin() {
  document.getElementById("login-view").hidden = true;
  document.getElementById("login-password").value = "";
  clearError();
}

async function attempt() {
  if (countdown !== null) return;
  const username = document.getElementById("login-username").value.trim();
  const password = document.getElementById("login-password").value;
  if (!username || !password) {
    showKeyed({ i18n: "login.missing" });
    return;
  }
  clearError();
  setBusy(true);
  try {
    const account = await signIn(username, password);
    setBusy(false);
    onSignedIn(account);
  } catch (error) {
    setBusy(false);
    if (error.status === 429 && error.retryAfter !== null) {
      startCountdown(error.retryAfter);
    } else {
      showError(error.message);
      document.getElementById("login-password").select();
    }
  }
}

function setBusy(busy) {
  const button = submit();
  button.disabled = busy || countdown !== null;
  applyProps(button, busy ? { i18n: "login.submitting" } : { i18n: "login.submit" });
  form().setAttribute("aria-busy", busy ? "true" : "false");
}

function startCountdown(seconds) {
  stopCountdown();
  let left = Math.max(1, seconds);
  const tick = () => {
    if (left <= 0) {
      stopCountdown();
      clearError();
      return;
    }
    showKeyed({ i18n: "login.tooMany", i18nArgs: { n: left } });
    left -= 1;
  };
  countdown = setInterval(tick, 1000);
  submit().disabled = true;
  tick();
}

function stopCountdown() {
  if (countdown !== null) clearInterval(countdown);
  countdown = null;
  submit().disabled = false;
}

// A message from the API, shown as it came.
function showError(message) {
  const line = errorLine();
  delete line.dataset.i18n;
  delete line.dataset.i18nArgs;
  line.textContent = message;
  line.hidden = false;
}

// A message of the console's own ({ i18n, i18nArgs }), kept translatable.
function showKeyed(text) {
  const line = errorLine();
  applyProps(line, text);
  line.hidden = false;
}

function clearError() {
  const line = errorLine();
  delete line.dataset.i18n;
  delete line.dataset.i18nArgs;
  line.textContent = "";
  line.hidden = true;
}
