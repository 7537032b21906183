//! An in-memory Genesys for unit tests: actions, drafts and integrations behind the core's
//! transport, with scripted failures injected ahead of normal answers.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::Api;
use crate::auth::AccessToken;
use crate::region::{Environment, Region};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};

const BASE: &str = "https://api.mypurecloud.ie/api/v2/";

/// What the next matching request gets instead of a normal answer.
pub(crate) enum Injected {
    Respond(HttpResponse),
    Drop,
    /// Serve normally, then report a dropped connection (the write happened).
    ServeThenDrop,
}

/// One stored action or draft.
#[derive(Clone)]
pub(crate) struct Stored {
    pub name: String,
    pub version: u64,
    pub config: Value,
}

#[derive(Default)]
pub(crate) struct FakeGenesys {
    pub actions: RefCell<BTreeMap<String, Stored>>,
    pub drafts: RefCell<BTreeMap<String, Stored>>,
    /// Failures for the next requests whose method and path contain the given text.
    pub script: RefCell<VecDeque<(Method, String, Injected)>>,
    /// Every request, as `METHOD path?query`.
    pub log: RefCell<Vec<String>>,
    /// Called before each PATCH of an action is served (a colleague's edit, for instance).
    #[allow(clippy::type_complexity)]
    pub before_patch: RefCell<Option<Box<dyn Fn(&FakeGenesys, &str)>>>,
    /// Answer listings without config.
    pub list_without_config: Cell<bool>,
}

impl FakeGenesys {
    pub fn with_actions(actions: &[(&str, Option<u8>)]) -> FakeGenesys {
        let fake = FakeGenesys::default();
        for (id, timeout) in actions {
            fake.actions
                .borrow_mut()
                .insert(id.to_string(), stored(id, *timeout));
        }
        fake
    }

    pub fn add_draft(&self, id: &str, timeout: Option<u8>) {
        self.drafts
            .borrow_mut()
            .insert(id.to_string(), stored(id, timeout));
    }

    pub fn inject(&self, method: Method, path: &str, injected: Injected) {
        self.script
            .borrow_mut()
            .push_back((method, path.to_string(), injected));
    }

    pub fn timeout_of(&self, id: &str) -> Option<u64> {
        self.actions.borrow()[id].config["timeoutSeconds"].as_u64()
    }

    pub fn requests(&self, method: Method) -> usize {
        let prefix = format!("{method} ");
        self.log
            .borrow()
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .count()
    }

    fn take_injection(&self, method: Method, path: &str) -> Option<Injected> {
        let mut script = self.script.borrow_mut();
        let position = script
            .iter()
            .position(|(m, p, _)| *m == method && path.contains(p.as_str()))?;
        script.remove(position).map(|(_, _, injected)| injected)
    }

    fn serve(&self, method: Method, path: &str, query: &str, body: Option<&str>) -> HttpResponse {
        let segments: Vec<&str> = path.split('/').collect();
        match (method, segments.as_slice()) {
            (Method::Get, ["integrations"]) => listing(Vec::new(), 1),
            (Method::Get, ["integrations", "actions"]) => self.list(&self.actions, query),
            (Method::Get, ["integrations", "actions", "drafts"]) => self.list(&self.drafts, query),
            (Method::Get, ["integrations", "actions", id]) => self.read(&self.actions, id),
            (Method::Get, ["integrations", "actions", id, "draft"]) => self.read(&self.drafts, id),
            (Method::Get, ["integrations", "actions", _, "templates", file]) => {
                HttpResponse::new(200, format!("template {file}"))
            }
            (Method::Patch, ["integrations", "actions", id]) => {
                if let Some(hook) = self.before_patch.borrow().as_ref() {
                    hook(self, id);
                }
                self.patch(&self.actions, id, body)
            }
            (Method::Patch, ["integrations", "actions", id, "draft"]) => {
                self.patch(&self.drafts, id, body)
            }
            _ => HttpResponse::new(404, r#"{"code":"not.found"}"#),
        }
    }

    fn render(&self, id: &str, stored: &Stored, with_config: bool) -> Value {
        let mut action = json!({"id": id, "name": stored.name, "integrationId": "i", "category": "c", "version": stored.version});
        if with_config {
            action["config"] = stored.config.clone();
        }
        action
    }

    fn list(&self, items: &RefCell<BTreeMap<String, Stored>>, query: &str) -> HttpResponse {
        let with_config = !self.list_without_config.get();
        let ids: Option<Vec<String>> = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "ids")
            .map(|(_, v)| v.split(',').map(str::to_string).collect());
        let page: usize = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "pageNumber")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let items = items.borrow();
        let all: Vec<Value> = items
            .iter()
            .filter(|(id, _)| ids.as_ref().is_none_or(|ids| ids.contains(id)))
            .map(|(id, stored)| self.render(id, stored, with_config))
            .collect();
        let page_count = all.len().div_ceil(100).max(1);
        let entities = all.into_iter().skip((page - 1) * 100).take(100).collect();
        listing(entities, page_count)
    }

    fn read(&self, items: &RefCell<BTreeMap<String, Stored>>, id: &str) -> HttpResponse {
        match items.borrow().get(id) {
            Some(stored) => HttpResponse::new(200, self.render(id, stored, true).to_string()),
            None => HttpResponse::new(404, r#"{"code":"not.found"}"#),
        }
    }

    fn patch(
        &self,
        items: &RefCell<BTreeMap<String, Stored>>,
        id: &str,
        body: Option<&str>,
    ) -> HttpResponse {
        let body: Value = serde_json::from_str(body.unwrap_or("{}")).unwrap_or(Value::Null);
        let mut items = items.borrow_mut();
        let Some(stored) = items.get_mut(id) else {
            return HttpResponse::new(404, r#"{"code":"not.found"}"#);
        };
        if body["version"].as_u64() != Some(stored.version) {
            return HttpResponse::new(409, r#"{"code":"conflict","message":"version conflict"}"#);
        }
        stored.config = body["config"].clone();
        stored.version += 1;
        let rendered = json!({"id": id, "name": stored.name, "version": stored.version, "config": stored.config});
        HttpResponse::new(200, rendered.to_string())
    }
}

fn stored(id: &str, timeout: Option<u8>) -> Stored {
    let mut config = json!({"request": {"requestType": "GET", "headers": {"X-Key": "secret"}}, "response": {"successTemplate": "${rawResult}"}, "extra": [1, 2]});
    if let Some(seconds) = timeout {
        config["timeoutSeconds"] = json!(seconds);
    }
    Stored {
        name: format!("Action {id}"),
        version: 1,
        config,
    }
}

fn listing(entities: Vec<Value>, page_count: usize) -> HttpResponse {
    HttpResponse::new(
        200,
        json!({"entities": entities, "pageCount": page_count, "pageSize": 100}).to_string(),
    )
}

impl Transport for FakeGenesys {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let rest = request.url.strip_prefix(BASE).unwrap_or(&request.url);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        self.log
            .borrow_mut()
            .push(format!("{} {rest}", request.method));
        match self.take_injection(request.method, path) {
            Some(Injected::Respond(response)) => Ok(response),
            Some(Injected::Drop) => Err(TransportError::Network("connection reset".into())),
            Some(Injected::ServeThenDrop) => {
                self.serve(request.method, path, query, request.body.as_deref());
                Err(TransportError::Network("connection reset".into()))
            }
            None => Ok(self.serve(request.method, path, query, request.body.as_deref())),
        }
    }

    async fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A client for the fake.
pub(crate) fn api(fake: &FakeGenesys) -> Api<&FakeGenesys> {
    let token = AccessToken {
        token: "t".into(),
        expires_in: None,
    };
    Api::new(fake, &Environment::from(Region::EuWest1), &token)
}
