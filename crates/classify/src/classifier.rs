//! The classifier: every site's compiled dial plan, and the rules that
//! come before the number's shape (direction, emergency, directory).

use crate::call_type::{CallType, Service, UnknownReason};
use crate::config::{ConfigError, DialPlan, DialPlansFile};
use crate::countries::Destination;
use crate::dialled::Dialled;
use crate::plan::{Analysis, SitePlan};
use cdr::{Direction, Text};
use rustc_hash::FxHashMap;

/// A site's id, as the directory numbers sites.
pub type SiteId = i64;

/// Answers "is this number an extension, and at which site?", so the
/// classifier needs no store. Implemented for closures
/// `Fn(&str) -> Option<SiteId>`. An extension that belongs to no site in
/// particular should answer the calling site.
pub trait ExtensionLookup {
    /// The site of the extension numbered `number` (digits only), if it is
    /// one.
    fn extension_site(&self, number: &str) -> Option<SiteId>;
}

impl<F: Fn(&str) -> Option<SiteId>> ExtensionLookup for F {
    #[inline]
    fn extension_site(&self, number: &str) -> Option<SiteId> {
        self(number)
    }
}

/// A directory that knows no extensions.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExtensions;

impl ExtensionLookup for NoExtensions {
    #[inline]
    fn extension_site(&self, _: &str) -> Option<SiteId> {
        None
    }
}

/// A site as the directory describes it, for building from a file.
#[derive(Debug, Clone, Copy)]
pub struct SiteCodes<'a> {
    pub id: SiteId,
    pub name: &'a str,
    pub country_code: &'a str,
    pub area_code: &'a str,
}

/// The outcome of classifying one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub call_type: CallType,
    pub service: Service,
    /// The other party's number in E.164 (`+33155512345`); empty for
    /// extensions, short codes and unknown numbers.
    pub e164: Text,
    /// Where the number leads, from the country table.
    pub destination: Option<&'static Destination>,
    /// For `internal` and `onnet`: the called extension's site.
    pub extension_site: Option<SiteId>,
    /// For `unknown`: why.
    pub reason: Option<UnknownReason>,
}

impl Classification {
    fn of(analysis: Analysis) -> Classification {
        Classification {
            call_type: analysis.call_type,
            service: analysis.service,
            e164: analysis.e164,
            destination: analysis.destination,
            extension_site: None,
            reason: None,
        }
    }

    fn unknown(reason: UnknownReason) -> Classification {
        Classification {
            call_type: CallType::Unknown,
            service: Service::Ordinary,
            e164: Text::default(),
            destination: None,
            extension_site: None,
            reason: Some(reason),
        }
    }

    /// A classification without number: extensions, and inbound calls
    /// before their caller is analysed.
    fn bare(call_type: CallType, site: Option<SiteId>) -> Classification {
        Classification {
            call_type,
            service: Service::Ordinary,
            e164: Text::default(),
            destination: None,
            extension_site: site,
            reason: None,
        }
    }
}

/// Classifies calls with the dial plans of many sites. Built once; shared
/// by reference between threads (`Send + Sync`, no interior mutability).
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    sites: FxHashMap<SiteId, SitePlan>,
    default: Option<SitePlan>,
}

impl Classifier {
    /// A classifier with no plans: numbers are unknown, but extensions are
    /// still recognised.
    pub fn new() -> Classifier {
        Classifier::default()
    }

    /// Uses `plan` for calls of sites that have none of their own.
    pub fn set_default(&mut self, plan: &DialPlan) {
        self.default = Some(SitePlan::new(plan));
    }

    pub fn add_site(&mut self, site: SiteId, plan: &DialPlan) {
        self.sites.insert(site, SitePlan::new(plan));
    }

    /// Builds from a dial-plan file whose sites are named as in the
    /// directory's `sites`. A site without a plan of its own gets the
    /// file's default, with the country and area codes of its record.
    pub fn from_file(file: &DialPlansFile, sites: &[SiteCodes<'_>]) -> Result<Self, ConfigError> {
        let mut classifier = Classifier::new();
        if let Some(default) = &file.default {
            classifier.set_default(&default.resolve().map_err(|e| e.in_site("default"))?);
        }
        for name in file.sites.keys() {
            if !sites.iter().any(|s| s.name == name) {
                let error = ConfigError::Invalid {
                    field: "sites",
                    reason: "no such site in the directory".into(),
                };
                return Err(error.in_site(name));
            }
        }
        for site in sites {
            let Some(config) = file.sites.get(site.name).or(file.default.as_ref()) else {
                continue;
            };
            let plan = config
                .clone()
                .with_site_codes(site.country_code, site.area_code)
                .resolve()
                .map_err(|e| e.in_site(site.name))?;
            classifier.add_site(site.id, &plan);
        }
        Ok(classifier)
    }

    /// Classifies a call of `site` in `direction` whose other party is
    /// `number` (the dialled number of an outgoing call, the caller of an
    /// incoming one). Never panics.
    pub fn classify<E: ExtensionLookup + ?Sized>(
        &self,
        site: Option<SiteId>,
        direction: Direction,
        number: &str,
        extensions: &E,
    ) -> Classification {
        let plan = site.and_then(|s| self.sites.get(&s)).or(self.default.as_ref());
        let dialled = Dialled::parse(number);
        let dialled = dialled.as_ref().map(|d| (d.digits(), d.plus));
        if direction == Direction::Incoming {
            // The direction decides: the number only adds where it came
            // from, when its shape says.
            let analysis = match (plan, dialled) {
                (Some(plan), Ok((digits, plus))) => plan.incoming(digits, plus).ok(),
                _ => None,
            };
            let mut inbound = Classification::bare(CallType::Inbound, None);
            if let Some(analysis) = analysis {
                inbound.e164 = analysis.e164;
                inbound.destination = analysis.destination;
            }
            return inbound;
        }
        let (digits, plus) = match dialled {
            Ok(dialled) => dialled,
            Err(&reason) => return Classification::unknown(reason),
        };
        if !plus {
            if let Some(plan) = plan
                && plan.is_emergency(digits)
            {
                return Classification::of(plan.emergency());
            }
            if let Some(at) = extensions.extension_site(digits) {
                let call_type = if Some(at) == site { CallType::Internal } else { CallType::Onnet };
                return Classification::bare(call_type, Some(at));
            }
        }
        if direction == Direction::Internal {
            // The PBX says so, though the directory does not know the
            // number (yet).
            return Classification::bare(CallType::Internal, site);
        }
        match plan {
            Some(plan) => match plan.outgoing(digits, plus) {
                Ok(analysis) => Classification::of(analysis),
                Err(reason) => Classification::unknown(reason),
            },
            None => Classification::unknown(UnknownReason::NoDialPlan),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Classifier>();
        assert_send_sync::<Classification>();
    }

    #[test]
    fn without_plan_only_extensions_are_known() {
        let classifier = Classifier::new();
        let lookup = |n: &str| (n == "2001").then_some(1);
        let classify = |d, n| classifier.classify(Some(1), d, n, &lookup);
        assert_eq!(classify(Direction::Outgoing, "2001").call_type, CallType::Internal);
        let outside = classify(Direction::Outgoing, "0155512345");
        assert_eq!(outside.reason, Some(UnknownReason::NoDialPlan));
        assert_eq!(classify(Direction::Incoming, "0155512345").call_type, CallType::Inbound);
    }

    #[test]
    fn file_sites_must_exist_in_the_directory() {
        let file = DialPlansFile::parse("[sites.Lyon]\npreset = \"fr\"").unwrap();
        let error = Classifier::from_file(&file, &[]).unwrap_err();
        assert_eq!(error.to_string(), "site \"Lyon\": sites: no such site in the directory");
    }
}
