//! Fixtures for the engine tests: an emulator with a signed-in, loaded organisation, plans
//! that set actions to one timeout, and checks of what the emulator now stores.

// Every test binary that includes this module uses only its own part of it.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use genesys_emulator::{AdminEdit, Emulator, EmulatorConfig, Quirk, Seed, TimeoutEdit};
use serde_json::Value;
use timeouts_core::api::Api;
use timeouts_core::auth::AccessToken;
use timeouts_core::engine::{ApplyEvent, ApplyOptions, ApplyReport, CancelFlag, apply};
use timeouts_core::load::{LoadOptions, LoadedOrg, load_org};
use timeouts_core::model::Action;
use timeouts_core::plan::{Edit, Plan, Planner};
use timeouts_core::region::Environment;
use timeouts_core::timeout::Timeout;
use timeouts_core::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use timeouts_native::ReqwestTransport;

pub const ADMIN: &str = "a5e00000-0000-4000-8000-000000000001";
pub const OTHER_ADMIN: &str = "a5e00000-0000-4000-8000-000000000004";

/// Every stored action by id, with its draft if it has one, as it was before a scenario.
pub type Snapshot = HashMap<String, (Value, Option<Value>)>;

/// Records every request sent, to check what went over the wire.
pub struct Recording {
    inner: ReqwestTransport,
    sent: RefCell<Vec<HttpRequest>>,
}

impl Recording {
    /// Every request sent so far, oldest first.
    pub fn sent(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }

    /// How many of the requests sent so far match.
    pub fn count(&self, matches: impl Fn(&HttpRequest) -> bool) -> usize {
        self.sent.borrow().iter().filter(|r| matches(r)).count()
    }
}

impl Transport for Recording {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.inner.send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }
}

/// A running emulator and the environment that points the core at it.
pub struct Setup {
    pub emulator: Emulator,
    environment: Environment,
}

impl Setup {
    pub async fn start(seed: Seed, quirks: &[Quirk]) -> Setup {
        let config = EmulatorConfig {
            seed,
            quirks: quirks.to_vec(),
            ..EmulatorConfig::default()
        };
        let emulator = genesys_emulator::start(config)
            .await
            .expect("emulator starts");

        let environment = Environment::Custom {
            api_base: emulator.api_url().to_string(),
            login_base: emulator.login_url().to_string(),
        };
        Setup {
            emulator,
            environment,
        }
    }

    /// Starts the emulator, signs the admin in and loads the organisation: where most
    /// scenarios begin.
    pub async fn loaded(seed: Seed, quirks: &[Quirk]) -> (Setup, Api<Recording>, LoadedOrg) {
        let setup = Setup::start(seed, quirks).await;
        let api = setup.api();
        let org = setup.load(&api).await;
        (setup, api, org)
    }

    fn token(&self, user: &str) -> AccessToken {
        let issued = self.emulator.issue_user_token(user).expect("token");
        AccessToken {
            token: issued.access_token,
            expires_in: Some(issued.expires_in),
        }
    }

    /// A fresh sign-in as the admin.
    pub fn api(&self) -> Api<Recording> {
        self.api_for(ADMIN)
    }

    pub fn api_for(&self, user: &str) -> Api<Recording> {
        let transport = Recording {
            inner: ReqwestTransport::new().expect("client"),
            sent: RefCell::new(Vec::new()),
        };
        Api::new(transport, &self.environment, &self.token(user))
    }

    pub async fn load(&self, api: &Api<Recording>) -> LoadedOrg {
        load_org(api, &LoadOptions::default(), &CancelFlag::new(), |_| {})
            .await
            .expect("load")
    }

    pub fn stored(&self, id: &str) -> Value {
        self.emulator.stored_action(id).expect("stored action")
    }

    pub fn stored_draft(&self, id: &str) -> Value {
        self.emulator.stored_draft(id).expect("stored draft")
    }

    /// The timeout the emulator now stores for an action.
    pub fn timeout_of(&self, id: &str) -> Timeout {
        stored_timeout(&self.stored(id))
    }

    /// Every stored action (and draft) by id, to compare before and after.
    pub fn snapshot(&self, org: &LoadedOrg) -> Snapshot {
        org.actions()
            .iter()
            .map(|a| {
                let draft = self.emulator.stored_draft(&a.id).ok();
                (a.id.clone(), (self.stored(&a.id), draft))
            })
            .collect()
    }

    /// Another admin sets an action's timeout behind the engine's back, moving its version on.
    pub fn colleague_sets_timeout(&self, id: &str, seconds: u32) {
        let edit = AdminEdit {
            timeout: TimeoutEdit::Set(seconds),
            ..AdminEdit::default()
        };
        self.emulator
            .edit_action(id, &edit)
            .expect("the colleague's edit is stored");
    }

    /// Checks that each of `ids` holds `timeout` with everything else as before, and that no
    /// other action or draft was touched.
    pub fn assert_only_set(&self, before: &Snapshot, ids: &[String], timeout: Timeout) {
        let changed = ids.iter().map(|id| (id.clone(), timeout)).collect();
        self.assert_only_changed(before, &changed);
    }

    /// Checks that no stored action or draft differs from `before`.
    pub fn assert_untouched(&self, before: &Snapshot) {
        self.assert_only_changed(before, &HashMap::new());
    }

    /// Checks that every changed action holds its new timeout with everything else as before
    /// and its version one higher, and that no other action or draft was touched.
    fn assert_only_changed(&self, before: &Snapshot, changed: &HashMap<String, Timeout>) {
        for (id, (old, old_draft)) in before {
            let now = self.stored(id);
            match changed.get(id) {
                Some(timeout) => {
                    assert_eq!(stored_timeout(&now), *timeout, "timeout of {id}");
                    assert_eq!(
                        without_timeout_and_version(&now),
                        without_timeout_and_version(old),
                        "other fields of {id}"
                    );
                    assert_eq!(now["version"], version(old) + 1);
                }
                None => {
                    assert_eq!(&now, old, "untouched action {id}");
                    let draft = self.emulator.stored_draft(id).ok();
                    assert_eq!(&draft, old_draft, "draft of {id}");
                }
            }
        }
    }

    /// Checks, after a stopped apply, that every applied change's action holds `timeout` and
    /// every other planned action still holds the timeout it had before.
    pub fn assert_applied_or_untouched(&self, report: &ApplyReport, timeout: Timeout) {
        for result in &report.results {
            let id = &result.change.action_id;
            let expected = if result.outcome.is_applied() {
                timeout
            } else {
                result.change.before
            };
            assert_eq!(
                self.timeout_of(id),
                expected,
                "{id} is applied or untouched"
            );
        }
    }

    pub async fn shutdown(self) {
        self.emulator.shutdown().await;
    }
}

pub fn stored_timeout(stored: &Value) -> Timeout {
    Timeout::from_wire(stored["config"].get("timeoutSeconds"))
}

/// A stored action's or draft's version, which every write moves on by one.
pub fn version(stored: &Value) -> u64 {
    stored["version"].as_u64().expect("a stored version")
}

/// A stored action with its timeout and version taken out: what must not change.
pub fn without_timeout_and_version(stored: &Value) -> Value {
    let mut copy = stored.clone();
    copy["config"]
        .as_object_mut()
        .map(|c| c.shift_remove("timeoutSeconds"));
    copy.as_object_mut().map(|o| o.shift_remove("version"));
    copy
}

/// Editable actions with an explicit timeout other than `target` and no draft, for plain
/// changes to `target`.
pub fn plain_actions(org: &LoadedOrg, target: u8) -> Vec<&Action> {
    let planner = Planner::new(org, true);
    org.actions()
        .iter()
        .filter(|a| org.draft(&a.id).is_none())
        .filter(|a| matches!(a.timeout(), Some(Timeout::Explicit(s)) if s != target))
        .filter(|a| {
            let probe = planner.plan(&[Edit {
                action_id: a.id.clone(),
                timeout: Timeout::Explicit(target),
            }]);
            probe.changes.len() == 1 && probe.changes[0].warnings.is_empty()
        })
        .collect()
}

/// The ids of up to `count` plain actions for a change to `target`.
pub fn plain_ids(org: &LoadedOrg, target: u8, count: usize) -> Vec<String> {
    plain_actions(org, target)
        .iter()
        .take(count)
        .map(|a| a.id.clone())
        .collect()
}

/// The id of the first plain action for a change to `target`.
pub fn plain_id(org: &LoadedOrg, target: u8) -> String {
    plain_actions(org, target)
        .first()
        .map(|a| a.id.clone())
        .expect("the seed has a plain action for this change")
}

/// The plan that sets every one of `ids` to `timeout`.
pub fn plan_for(org: &LoadedOrg, ids: &[String], timeout: Timeout) -> Plan {
    let edits: Vec<Edit> = ids
        .iter()
        .map(|id| Edit {
            action_id: id.clone(),
            timeout,
        })
        .collect();
    Planner::new(org, true).plan(&edits)
}

/// Applies a plan with the default options, nothing cancelled and no one watching.
pub async fn run(api: &Api<Recording>, org: &LoadedOrg, plan: &Plan) -> ApplyReport {
    run_watching(api, org, plan, |_| {}).await
}

/// Applies a plan with the default options, handing every progress event to `on_event`.
pub async fn run_watching(
    api: &Api<Recording>,
    org: &LoadedOrg,
    plan: &Plan,
    on_event: impl FnMut(ApplyEvent<'_>),
) -> ApplyReport {
    let options = ApplyOptions::default();
    apply(api, org, plan, &options, &CancelFlag::new(), on_event).await
}

/// Plans and applies setting every one of `ids` to `timeout`.
pub async fn set_all(
    api: &Api<Recording>,
    org: &LoadedOrg,
    ids: &[String],
    timeout: Timeout,
) -> ApplyReport {
    run(api, org, &plan_for(org, ids, timeout)).await
}

/// The loaded organisation with the actions an apply wrote, as the app keeps it for the next
/// apply.
pub fn refreshed(mut org: LoadedOrg, report: &ApplyReport) -> LoadedOrg {
    org.update_actions(report.updated_actions.clone());
    org
}

/// Checks that the verification re-read confirmed every change of the report.
pub fn assert_all_confirmed(report: &ApplyReport) {
    for result in &report.results {
        assert_eq!(
            result.verification,
            Some(timeouts_core::engine::Verification::Confirmed),
            "{}",
            result.change.action_id
        );
    }
}
