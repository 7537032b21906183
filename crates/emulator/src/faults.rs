//! Injected faults: added latency, failed calls (a 5xx status or a dropped connection), for
//! either the next N API calls or a share of them.
//!
//! A share is drawn from a seeded generator so that a test sees the same sequence each run.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// How a failed call fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureMode {
    /// Answer with `failStatus` and a Genesys error body.
    Status,
    /// Close the connection without any response.
    Drop,
}

/// The fault settings, as set through the control API or [`crate::Emulator::set_faults`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Delay added before every `/api/v2` response.
    pub latency_ms: u64,
    /// Fail this many of the next API calls.
    pub fail_next: u32,
    /// Fail this share (0.0 to 1.0) of API calls after `fail_next` is used up.
    pub fail_share: f64,
    pub fail_mode: FailureMode,
    /// The status of failed calls in `status` mode (500 to 599).
    pub fail_status: u16,
    /// Seed of the draw that decides which calls fall in `fail_share`.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            fail_next: 0,
            fail_share: 0.0,
            fail_mode: FailureMode::Status,
            fail_status: 503,
            seed: 1,
        }
    }
}

/// What to do with one API call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultDecision {
    Serve,
    FailWith(u16),
    Drop,
}

/// The live fault settings and the generator behind `fail_share`.
#[derive(Debug)]
pub struct FaultState {
    settings: Faults,
    rng: ChaCha8Rng,
}

impl FaultState {
    pub fn new(latency_ms: u64) -> Self {
        let settings = Faults {
            latency_ms,
            ..Faults::default()
        };
        let rng = ChaCha8Rng::seed_from_u64(settings.seed);
        FaultState { settings, rng }
    }

    pub fn settings(&self) -> &Faults {
        &self.settings
    }

    pub fn set(&mut self, settings: Faults) {
        self.rng = ChaCha8Rng::seed_from_u64(settings.seed);
        self.settings = Faults {
            fail_share: settings.fail_share.clamp(0.0, 1.0),
            fail_status: settings.fail_status.clamp(500, 599),
            ..settings
        };
    }

    pub fn latency_ms(&self) -> u64 {
        self.settings.latency_ms
    }

    /// Decides the fate of the next API call.
    pub fn decide(&mut self) -> FaultDecision {
        let fail = if self.settings.fail_next > 0 {
            self.settings.fail_next -= 1;
            true
        } else if self.settings.fail_share > 0.0 {
            let draw = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            draw < self.settings.fail_share
        } else {
            false
        };

        match (fail, self.settings.fail_mode) {
            (false, _) => FaultDecision::Serve,
            (true, FailureMode::Status) => FaultDecision::FailWith(self.settings.fail_status),
            (true, FailureMode::Drop) => FaultDecision::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_next_fails_exactly_that_many_calls() {
        let mut state = FaultState::new(0);
        state.set(Faults {
            fail_next: 2,
            fail_status: 502,
            ..Faults::default()
        });
        assert_eq!(state.decide(), FaultDecision::FailWith(502));
        assert_eq!(state.decide(), FaultDecision::FailWith(502));
        assert_eq!(state.decide(), FaultDecision::Serve);
    }

    #[test]
    fn a_share_fails_roughly_that_share_and_repeats_with_the_seed() {
        let draw = |seed| {
            let mut state = FaultState::new(0);
            state.set(Faults {
                fail_share: 0.25,
                seed,
                ..Faults::default()
            });
            (0..1000).map(|_| state.decide()).collect::<Vec<_>>()
        };
        let first = draw(9);
        let failed = first.iter().filter(|d| **d != FaultDecision::Serve).count();
        assert!((180..320).contains(&failed), "{failed} of 1000 failed");
        assert_eq!(first, draw(9));
    }

    #[test]
    fn drop_mode_drops_instead_of_answering() {
        let mut state = FaultState::new(0);
        state.set(Faults {
            fail_next: 1,
            fail_mode: FailureMode::Drop,
            ..Faults::default()
        });
        assert_eq!(state.decide(), FaultDecision::Drop);
    }

    #[test]
    fn out_of_range_statuses_are_clamped_to_server_errors() {
        let mut state = FaultState::new(0);
        state.set(Faults {
            fail_next: 1,
            fail_status: 404,
            ..Faults::default()
        });
        assert_eq!(state.decide(), FaultDecision::FailWith(500));
    }
}
