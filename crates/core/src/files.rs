//! Snapshots and spreadsheets: exporting the current timeouts as JSON or CSV, and importing
//! either back as edits to review.
//!
//! Exports hold ids, names and timeouts only, never a config (configs can carry credentials in
//! their request headers). CSV cells that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or carriage return) are prefixed with `'`, and the prefix is
//! removed again on import. Imports validate every line and list every problem with its line
//! number; nothing becomes a change until the plan is reviewed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::load::LoadedOrg;
use crate::model::Action;
use crate::plan::Edit;
use crate::timeout::Timeout;

/// Where and when a snapshot was taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotMeta {
    /// The organisation's name (or id).
    pub org: Option<String>,
    /// The environment name, such as `mypurecloud.ie`.
    pub region: String,
    /// When, as RFC 3339 UTC (see [`now_rfc3339`]).
    pub exported_at: String,
}

/// One action's line in a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotEntry {
    pub action_id: String,
    pub name: String,
    pub integration: String,
    pub category: String,
    pub timeout: Timeout,
    pub version: u64,
}

/// A JSON snapshot of timeouts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    #[serde(flatten)]
    pub meta: SnapshotMeta,
    pub actions: Vec<SnapshotEntry>,
}

impl Snapshot {
    /// Takes a snapshot of the given actions (in that order) from the loaded state. Actions
    /// whose config was not read are left out: their timeout is unknown.
    pub fn take<'a>(
        meta: SnapshotMeta,
        org: &LoadedOrg,
        actions: impl IntoIterator<Item = &'a Action>,
    ) -> Snapshot {
        let entries = actions
            .into_iter()
            .filter_map(|action| {
                Some(SnapshotEntry {
                    action_id: action.id.clone(),
                    name: action.name.clone(),
                    integration: org
                        .integration_of(action)
                        .map_or_else(|| action.integration_id.clone(), |i| i.name.clone()),
                    category: action.category.clone(),
                    timeout: action.timeout()?,
                    version: action.version,
                })
            })
            .collect();
        Snapshot {
            meta,
            actions: entries,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// CSV with a header row; cells a spreadsheet would run are neutralised.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = [
            "action_id",
            "name",
            "integration",
            "category",
            "timeout",
            "version",
        ];
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
        rows.extend(self.actions.iter().map(|entry| {
            vec![
                entry.action_id.clone(),
                entry.name.clone(),
                entry.integration.clone(),
                entry.category.clone(),
                timeout_cell(entry.timeout),
                entry.version.to_string(),
            ]
        }));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|cell| neutralise(cell)).collect();
            // Writing to memory cannot fail.
            let _ = writer.write_record(&cells);
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

fn timeout_cell(timeout: Timeout) -> String {
    match timeout {
        Timeout::Explicit(seconds) => seconds.to_string(),
        Timeout::Default => "default".to_string(),
    }
}

/// Prefixes `'` to a cell that a spreadsheet would read as a formula.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// Removes the prefix [`neutralise`] added.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The current time as RFC 3339 UTC, such as `2026-12-03T09:41:07Z`.
pub fn now_rfc3339() -> String {
    let seconds = web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(seconds)
}

/// Formats seconds since 1970 as RFC 3339 UTC.
pub fn rfc3339(unix_seconds: u64) -> String {
    let instant = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_seconds);
    humantime::format_rfc3339_seconds(instant).to_string()
}

/// A problem on one line of an imported file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    pub line: usize,
    pub message: String,
}

/// One imported row before it is matched to an action.
struct Row {
    line: usize,
    action_id: Option<String>,
    name: Option<String>,
    timeout: Option<String>,
}

/// Imports a JSON snapshot or a CSV file (told apart by the first character) as edits.
/// Returns every problem found, or the edits when there are none.
pub fn import(text: &str, org: &LoadedOrg) -> Result<Vec<Edit>, Vec<ImportError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = if text.trim_start().starts_with(['{', '[']) {
        json_rows(text)?
    } else {
        csv_rows(text)?
    };
    resolve(rows, org)
}

fn csv_rows(text: &str) -> Result<Vec<Row>, Vec<ImportError>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![ImportError {
                line: 1,
                message: format!("the header row cannot be read: {e}"),
            }]
        })?
        .clone();
    let column = |names: &[&str]| {
        headers.iter().position(|h| {
            let h = unneutralise(h).to_ascii_lowercase().replace([' ', '_'], "");
            names.contains(&h.as_str())
        })
    };
    let id_column = column(&["actionid", "id"]);
    let name_column = column(&["name", "actionname"]);
    let Some(timeout_column) = column(&["timeout", "timeoutseconds"]) else {
        return Err(vec![ImportError {
            line: 1,
            message: "the header row has no \"timeout\" column".into(),
        }]);
    };
    if id_column.is_none() && name_column.is_none() {
        return Err(vec![ImportError {
            line: 1,
            message: "the header row has neither an \"action_id\" nor a \"name\" column".into(),
        }]);
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                errors.push(ImportError {
                    line,
                    message: format!("this line cannot be read: {error}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |index: Option<usize>| {
            index
                .and_then(|i| record.get(i))
                .map(|c| unneutralise(c).to_string())
                .filter(|c| !c.is_empty())
        };
        rows.push(Row {
            line,
            action_id: cell(id_column),
            name: cell(name_column),
            timeout: cell(Some(timeout_column)),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn json_rows(text: &str) -> Result<Vec<Row>, Vec<ImportError>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![ImportError {
            line: e.line(),
            message: format!("this is not valid JSON: {e}"),
        }]
    })?;
    let entries = match &value {
        Value::Array(entries) => entries,
        Value::Object(root) => match root.get("actions") {
            Some(Value::Array(entries)) => entries,
            _ => {
                return Err(vec![ImportError {
                    line: 1,
                    message: "the snapshot has no \"actions\" list".into(),
                }]);
            }
        },
        _ => {
            return Err(vec![ImportError {
                line: 1,
                message: "expected a snapshot object or a list of actions".into(),
            }]);
        }
    };
    let lines = entry_lines(text, matches!(value, Value::Array(_)));
    let text_of = |entry: &Value, key: &str| match entry.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Null) if key.starts_with("timeout") => Some("default".to_string()),
        _ => None,
    };
    Ok(entries
        .iter()
        .enumerate()
        .map(|(i, entry)| Row {
            line: lines.get(i).copied().unwrap_or(0),
            action_id: text_of(entry, "actionId"),
            name: text_of(entry, "name"),
            timeout: text_of(entry, "timeout").or_else(|| text_of(entry, "timeoutSeconds")),
        })
        .collect())
}

/// The line on which each entry of the actions list starts, found by scanning the text (serde
/// keeps no positions). `bare` is true when the root is the list itself.
fn entry_lines(text: &str, bare: bool) -> Vec<usize> {
    let depth_of_entries = if bare { 1 } else { 2 };
    let mut lines = Vec::new();
    let (mut line, mut depth) = (1, 0);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            '\n' => line += 1,
            _ if in_string => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            }
            '"' => in_string = true,
            '{' | '[' => {
                if c == '{' && depth == depth_of_entries {
                    lines.push(line);
                }
                depth += 1;
            }
            '}' | ']' => depth -= 1,
            _ => {}
        }
    }
    lines
}

/// Matches rows to actions, validates timeouts and gathers every error.
fn resolve(rows: Vec<Row>, org: &LoadedOrg) -> Result<Vec<Edit>, Vec<ImportError>> {
    let mut by_name: HashMap<&str, Vec<&str>> = HashMap::new();
    for action in org.actions() {
        by_name
            .entry(action.name.as_str())
            .or_default()
            .push(action.id.as_str());
    }

    let mut edits = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let error = |message: String| ImportError {
            line: row.line,
            message,
        };
        let action_id = match (&row.action_id, &row.name) {
            (Some(id), _) if org.action(id).is_some() => id.clone(),
            (Some(id), _) => {
                errors.push(error(format!("no action has the id {id:?}")));
                continue;
            }
            (None, Some(name)) => match by_name.get(name.as_str()).map(Vec::as_slice) {
                Some([id]) => id.to_string(),
                Some(ids) => {
                    errors.push(error(format!(
                        "the name {name:?} belongs to {} actions ({}): give the action id",
                        ids.len(),
                        ids.join(", ")
                    )));
                    continue;
                }
                None => {
                    errors.push(error(format!("no action is named {name:?}")));
                    continue;
                }
            },
            (None, None) => {
                errors.push(error("neither an action id nor a name is given".into()));
                continue;
            }
        };
        let timeout = match row.timeout.as_deref().map(Timeout::parse_input) {
            Some(Ok(timeout)) => timeout,
            Some(Err(invalid)) => {
                errors.push(error(invalid.to_string()));
                continue;
            }
            None => {
                errors.push(error("no timeout is given".into()));
                continue;
            }
        };
        if let Some(first) = seen.insert(action_id.clone(), row.line) {
            errors.push(error(format!(
                "the action {action_id:?} is already on line {first}"
            )));
            continue;
        }
        edits.push(Edit { action_id, timeout });
    }
    if errors.is_empty() {
        Ok(edits)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::{action, org};

    fn meta() -> SnapshotMeta {
        SnapshotMeta {
            org: Some("Acme".into()),
            region: "mypurecloud.ie".into(),
            exported_at: "2026-12-03T09:00:00Z".into(),
        }
    }

    #[test]
    fn timestamps_are_rfc_3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_290_867), "2026-12-03T09:41:07Z");
        assert!(now_rfc3339().ends_with('Z'));
    }

    #[test]
    fn a_snapshot_holds_no_config() {
        let org = org();
        let snapshot = Snapshot::take(meta(), &org, org.actions());
        let json = snapshot.to_json();
        assert!(!json.contains("requestType"));
        assert!(json.contains("\"exportedAt\": \"2026-12-03T09:00:00Z\""));
        assert!(json.contains("\"timeout\": \"default\""));
        // The action whose config was not read is left out.
        assert!(!json.contains("noconfig"));
        let back: Snapshot = serde_json::from_str(&json).unwrap();
        assert_eq!(back, snapshot);
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        let mut org_actions = vec![action("x1", "=HYPERLINK(\"http://evil\")", Some(5))];
        org_actions.push(action("x2", "+1", Some(6)));
        org_actions.push(action("x3", "-2", Some(7)));
        org_actions.push(action("x4", "@SUM(A1)", None));
        org_actions.push(action("x5", "plain, with comma", Some(8)));
        let org = LoadedOrg::new(Vec::new(), org_actions, Vec::new());
        let csv = Snapshot::take(meta(), &org, org.actions()).to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "action_id,name,integration,category,timeout,version"
        );
        assert_eq!(
            lines[1],
            "x1,\"'=HYPERLINK(\"\"http://evil\"\")\",web,CRM,5,3"
        );
        assert_eq!(lines[2], "x2,'+1,web,CRM,6,3");
        assert_eq!(lines[3], "x3,'-2,web,CRM,7,3");
        assert_eq!(lines[4], "x4,'@SUM(A1),web,CRM,default,3");
        assert_eq!(lines[5], "x5,\"plain, with comma\",web,CRM,8,3");

        let edits = import(&csv, &org).unwrap();
        assert_eq!(edits.len(), 5);
        assert_eq!(
            edits[3],
            Edit {
                action_id: "x4".into(),
                timeout: Timeout::Default
            }
        );
        assert_eq!(unneutralise("'=1"), "=1");
        assert_eq!(unneutralise("'quoted"), "'quoted");
    }

    #[test]
    fn export_then_import_round_trips_in_both_formats() {
        let org = org();
        let snapshot = Snapshot::take(meta(), &org, org.actions());
        let expected: Vec<Edit> = snapshot
            .actions
            .iter()
            .map(|e| Edit {
                action_id: e.action_id.clone(),
                timeout: e.timeout,
            })
            .collect();
        assert_eq!(import(&snapshot.to_json(), &org).unwrap(), expected);
        assert_eq!(import(&snapshot.to_csv(), &org).unwrap(), expected);
    }

    #[test]
    fn csv_import_lists_every_error_with_its_line() {
        let org = org();
        let csv = "action_id,name,timeout\n\
                   a20,,10\n\
                   ghost,,10\n\
                   a5,,61\n\
                   ,Twenty,2.5\n\
                   ,Nobody,5\n\
                   a20,,12\n\
                   dflt,,\n\
                   ,,7\n";
        let errors = import(csv, &org).unwrap_err();
        let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            listed,
            vec![
                "line 3: no action has the id \"ghost\"",
                "line 4: 61 is above the 60-second maximum",
                "line 5: Use whole seconds: 2.5 is not allowed",
                "line 6: no action is named \"Nobody\"",
                "line 7: the action \"a20\" is already on line 2",
                "line 8: no timeout is given",
                "line 9: neither an action id nor a name is given",
            ]
        );
    }

    #[test]
    fn names_are_used_only_where_they_are_unique() {
        let org = LoadedOrg::new(
            Vec::new(),
            vec![
                action("p", "Same", Some(5)),
                action("q", "Same", Some(5)),
                action("r", "Unique", Some(5)),
            ],
            Vec::new(),
        );
        let csv = "name,timeout\nUnique,9\nSame,9\n";
        let errors = import(csv, &org).unwrap_err();
        assert_eq!(
            errors,
            vec![ImportError {
                line: 3,
                message: "the name \"Same\" belongs to 2 actions (p, q): give the action id".into()
            }]
        );
        let ok = import("name,timeout\nUnique,9\n", &org).unwrap();
        assert_eq!(
            ok,
            vec![Edit {
                action_id: "r".into(),
                timeout: Timeout::Explicit(9)
            }]
        );
    }

    #[test]
    fn json_import_errors_name_the_line_of_the_entry() {
        let org = org();
        let text = "{\n  \"region\": \"x\",\n  \"actions\": [\n    {\"actionId\": \"a20\", \"timeout\": 9},\n    {\n      \"actionId\": \"a5\",\n      \"timeout\": \"soon\"\n    },\n    {\"actionId\": \"ghost\", \"timeout\": 5}\n  ]\n}";
        let errors = import(text, &org).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, 5);
        assert!(errors[0].message.contains("soon is not a number"));
        assert_eq!(errors[1].line, 9);
    }

    #[test]
    fn malformed_files_are_refused_with_a_line() {
        let org = org();
        let broken = import("{\n\"actions\": [\n{\"actionId\": }\n]}", &org).unwrap_err();
        assert_eq!(broken[0].line, 3);
        assert!(import("{\"nothing\": 1}", &org).is_err());
        let no_timeout = import("action_id,name\na20,x\n", &org).unwrap_err();
        assert_eq!(
            no_timeout[0].message,
            "the header row has no \"timeout\" column"
        );
    }

    #[test]
    fn a_bare_list_and_a_bom_are_accepted() {
        let org = org();
        let edits = import(
            "\u{feff}[{\"actionId\": \"a5\", \"timeoutSeconds\": null}]",
            &org,
        )
        .unwrap();
        assert_eq!(
            edits,
            vec![Edit {
                action_id: "a5".into(),
                timeout: Timeout::Default
            }]
        );
    }
}
