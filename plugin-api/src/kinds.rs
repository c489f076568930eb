//! The closed vocabularies of a lead: seniority, BANT answers, event source
//! and response.
//!
//! Each is a Rust enum with a stable snake_case name (used in policy and scorer
//! configs, and in facts) and a stable ABI number (the `HQL_*` constants of the
//! header). Unknown ABI numbers read as `Unknown`, so a plugin built against an
//! older minor never misreads a value the host added later.

use crate::abi;

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = ($raw:path, $text:literal) ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub enum $name {
            /// Not provided.
            #[default]
            Unknown,
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every known value, lowest first (excluding `Unknown`).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case name, as used in configs and facts.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $name::Unknown => "unknown",
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a snake_case name; `None` for anything else.
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    "unknown" => Some($name::Unknown),
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Reads an ABI number; numbers this build does not know are `Unknown`.
            pub const fn from_raw(raw: u32) -> $name {
                match raw {
                    $(x if x == $raw => $name::$variant,)+
                    _ => $name::Unknown,
                }
            }

            /// The ABI number.
            pub const fn to_raw(self) -> u32 {
                match self {
                    $name::Unknown => 0,
                    $($name::$variant => $raw,)+
                }
            }

            /// True unless `Unknown`.
            pub const fn is_known(self) -> bool {
                !matches!(self, $name::Unknown)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// How senior the contact is, lowest first.
    Seniority {
        /// Intern or student worker.
        Intern = (abi::HQL_SENIORITY_INTERN, "intern"),
        /// Entry-level individual contributor.
        Entry = (abi::HQL_SENIORITY_ENTRY, "entry"),
        /// Senior individual contributor.
        Senior = (abi::HQL_SENIORITY_SENIOR, "senior"),
        /// Manages a team.
        Manager = (abi::HQL_SENIORITY_MANAGER, "manager"),
        /// Director or head of a function.
        Director = (abi::HQL_SENIORITY_DIRECTOR, "director"),
        /// Vice president.
        Vp = (abi::HQL_SENIORITY_VP, "vp"),
        /// C-level executive.
        CLevel = (abi::HQL_SENIORITY_C_LEVEL, "c_level"),
        /// Owner or founder.
        Owner = (abi::HQL_SENIORITY_OWNER, "owner"),
    }
}

vocabulary! {
    /// BANT budget: does the lead have money for this?
    BudgetStatus {
        /// No budget.
        None = (abi::HQL_BUDGET_NONE, "none"),
        /// A budget is expected or estimated but not approved.
        Estimated = (abi::HQL_BUDGET_ESTIMATED, "estimated"),
        /// A budget is approved.
        Confirmed = (abi::HQL_BUDGET_CONFIRMED, "confirmed"),
    }
}

vocabulary! {
    /// BANT authority: the contact's role in the purchase, weakest first.
    Authority {
        /// Will use the product.
        User = (abi::HQL_AUTHORITY_USER, "user"),
        /// Shapes the decision.
        Influencer = (abi::HQL_AUTHORITY_INFLUENCER, "influencer"),
        /// Makes the decision.
        DecisionMaker = (abi::HQL_AUTHORITY_DECISION_MAKER, "decision_maker"),
        /// Signs the cheque.
        EconomicBuyer = (abi::HQL_AUTHORITY_ECONOMIC_BUYER, "economic_buyer"),
    }
}

vocabulary! {
    /// BANT need: is there a problem we solve?
    Need {
        /// No need.
        None = (abi::HQL_NEED_NONE, "none"),
        /// The lead says so.
        Stated = (abi::HQL_NEED_STATED, "stated"),
        /// Sales confirmed the pain.
        Confirmed = (abi::HQL_NEED_CONFIRMED, "confirmed"),
    }
}

vocabulary! {
    /// Where an event was observed.
    Source {
        /// On our own properties (site, product, email).
        FirstParty = (abi::HQL_SOURCE_FIRST_PARTY, "first_party"),
        /// Bought intent data (keyword research, competitor sites, reviews).
        ThirdParty = (abi::HQL_SOURCE_THIRD_PARTY, "third_party"),
    }
}

vocabulary! {
    /// How the lead responded to a campaign touch.
    Response {
        /// Engaged, replied, accepted.
        Positive = (abi::HQL_RESPONSE_POSITIVE, "positive"),
        /// Seen, no reaction.
        Neutral = (abi::HQL_RESPONSE_NEUTRAL, "neutral"),
        /// Declined, complained, unsubscribed.
        Negative = (abi::HQL_RESPONSE_NEGATIVE, "negative"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for s in Seniority::ALL {
            assert_eq!(Seniority::from_name(s.as_str()), Some(*s));
            assert_eq!(Seniority::from_raw(s.to_raw()), *s);
        }
        for a in Authority::ALL {
            assert_eq!(Authority::from_name(a.as_str()), Some(*a));
            assert_eq!(Authority::from_raw(a.to_raw()), *a);
        }
        assert_eq!(Authority::from_raw(999), Authority::Unknown);
        assert_eq!(Need::from_name("bogus"), None);
    }

    #[test]
    fn order_follows_strength() {
        assert!(Authority::EconomicBuyer > Authority::DecisionMaker);
        assert!(Authority::User > Authority::Unknown);
        assert!(Seniority::CLevel > Seniority::Vp);
    }
}
