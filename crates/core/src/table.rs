//! The actions table as data: one row per action with what the page shows, and the search,
//! filters and sorting over those rows.
//!
//! The page draws only what [`select`] returns, so everything a person can do to the table
//! (search, filter, sort) is plain data work that is tested natively and takes a few
//! milliseconds for thousands of rows.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::classify::{Classification, ReadOnlyReason, classify};
use crate::load::LoadedOrg;
use crate::model::Action;
use crate::suggest::{self, LatencyFlag, LatencyStats};
use crate::timeout::Timeout;

/// How an action's draft relates to its published timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftTimeout {
    /// The draft has the same timeout as the published action.
    Same,
    /// The draft has a timeout of its own.
    Differs(Timeout),
    /// The draft's config (or the action's) was not returned, so they cannot be compared.
    Unknown,
}

/// What the table shows for one action.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: String,
    pub name: String,
    /// The integration's name; `None` when integrations could not be read.
    pub integration_name: Option<String>,
    /// The integration type id, such as `custom-rest-actions`.
    pub integration_type: Option<String>,
    pub integration_id: String,
    pub category: String,
    /// `None` when Genesys did not return the action's config.
    pub timeout: Option<Timeout>,
    /// `None` when the action has no draft.
    pub draft: Option<DraftTimeout>,
    pub secure: bool,
    pub classification: Classification,
    pub version: u64,
    /// The lowercased name, so that search does not lowercase on every keystroke.
    search_key: String,
}

impl Row {
    /// Whether this row's name matches a lowercased search text.
    fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.search_key.contains(needle)
    }

    /// The text shown for the integration: its name, or its id when names are unknown.
    pub fn integration_label(&self) -> &str {
        self.integration_name
            .as_deref()
            .unwrap_or(&self.integration_id)
    }

    /// Why the timeout cannot be changed, if it cannot.
    pub fn read_only(&self) -> Option<ReadOnlyReason> {
        self.classification.read_only
    }
}

/// Builds the rows of every loaded action, in the loader's order.
pub fn rows(org: &LoadedOrg, can_edit: bool) -> Vec<Row> {
    org.actions()
        .iter()
        .map(|action| row(org, action, can_edit))
        .collect()
}

/// Builds one action's row.
pub fn row(org: &LoadedOrg, action: &Action, can_edit: bool) -> Row {
    let integration = org.integration_of(action);
    Row {
        id: action.id.clone(),
        name: action.name.clone(),
        integration_name: integration.map(|i| i.name.clone()),
        integration_type: integration.and_then(|i| i.type_id()).map(str::to_string),
        integration_id: action.integration_id.clone(),
        category: action.category.clone(),
        timeout: action.timeout(),
        draft: org
            .draft(&action.id)
            .map(|draft| draft_timeout(action, draft)),
        secure: action.secure,
        classification: classify(action, integration, can_edit),
        version: action.version,
        search_key: action.name.to_lowercase(),
    }
}

fn draft_timeout(action: &Action, draft: &Action) -> DraftTimeout {
    match (action.timeout(), draft.timeout()) {
        (Some(published), Some(drafted)) if published == drafted => DraftTimeout::Same,
        (Some(_), Some(drafted)) => DraftTimeout::Differs(drafted),
        _ => DraftTimeout::Unknown,
    }
}

/// Which timeouts to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeoutFilter {
    #[default]
    All,
    /// Only actions with `timeoutSeconds` set.
    Explicit,
    /// Only actions using the 60-second default.
    Default,
}

/// Whether to show actions with or without a draft.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DraftFilter {
    #[default]
    All,
    WithDraft,
    WithoutDraft,
}

/// What the person asked the table to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of an action name, in any case.
    pub search: String,
    /// Only this integration id.
    pub integration_id: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    pub timeout: TimeoutFilter,
    pub draft: DraftFilter,
}

impl Filter {
    fn admits(&self, row: &Row, needle: &str) -> bool {
        row.matches(needle)
            && self
                .integration_id
                .as_ref()
                .is_none_or(|id| *id == row.integration_id)
            && self.category.as_ref().is_none_or(|c| *c == row.category)
            && self.admits_timeout(row)
            && self.admits_draft(row)
    }

    fn admits_timeout(&self, row: &Row) -> bool {
        match self.timeout {
            TimeoutFilter::All => true,
            TimeoutFilter::Explicit => matches!(row.timeout, Some(Timeout::Explicit(_))),
            TimeoutFilter::Default => row.timeout == Some(Timeout::Default),
        }
    }

    fn admits_draft(&self, row: &Row) -> bool {
        match self.draft {
            DraftFilter::All => true,
            DraftFilter::WithDraft => row.draft.is_some(),
            DraftFilter::WithoutDraft => row.draft.is_none(),
        }
    }
}

/// Which rows the latency-flag filter keeps, once latency figures are loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FlagFilter {
    #[default]
    All,
    /// Rows with any latency flag.
    AnyFlag,
    /// Rows whose timeout is below their p99 latency.
    BelowP99,
    /// Rows whose timeout is far above their p99 latency.
    FarAboveP99,
}

impl FlagFilter {
    /// Whether a row with this flag (or none) passes.
    pub fn admits(self, flag: Option<LatencyFlag>) -> bool {
        match self {
            FlagFilter::All => true,
            FlagFilter::AnyFlag => flag.is_some(),
            FlagFilter::BelowP99 => flag == Some(LatencyFlag::BelowP99),
            FlagFilter::FarAboveP99 => flag == Some(LatencyFlag::FarAboveP99),
        }
    }
}

/// The latency flag of a row given its figures; `None` when its timeout is unknown or
/// nothing stands out.
pub fn row_flag(row: &Row, stats: &LatencyStats) -> Option<LatencyFlag> {
    suggest::flag(row.timeout?, stats)
}

/// Narrows `shown` (indexes into `rows`, as [`select`] returns them) to the rows the flag
/// filter keeps. `stats` holds figures by action id; an action without figures had no calls
/// in the window and so carries no flag.
pub fn retain_flagged(
    rows: &[Row],
    shown: &mut Vec<usize>,
    filter: FlagFilter,
    stats: &HashMap<String, LatencyStats>,
) {
    if filter == FlagFilter::All {
        return;
    }
    shown.retain(|&i| {
        let row = &rows[i];
        let flag = stats.get(&row.id).and_then(|s| row_flag(row, s));
        filter.admits(flag)
    });
}

/// A column to sort by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Name,
    Integration,
    Category,
    Timeout,
    Draft,
    Secure,
    Editable,
}

/// A sort order: a column and its direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// The order after a click on `key`'s header: the same column flips, another starts
    /// ascending.
    pub fn toggled(self, key: SortKey) -> Sort {
        Sort {
            key,
            descending: self.key == key && !self.descending,
        }
    }
}

/// The indexes of the rows to show, filtered and sorted. Ties keep the name order and then
/// the loader's order, so the table never jumps between equal rows.
pub fn select(rows: &[Row], filter: &Filter, sort: Sort) -> Vec<usize> {
    let needle = filter.search.trim().to_lowercase();
    let mut shown: Vec<usize> = (0..rows.len())
        .filter(|&i| filter.admits(&rows[i], &needle))
        .collect();

    shown.sort_by(|&a, &b| {
        let order = compare(&rows[a], &rows[b], sort.key)
            .then_with(|| rows[a].search_key.cmp(&rows[b].search_key));
        if sort.descending {
            order.reverse()
        } else {
            order
        }
    });
    shown
}

fn compare(a: &Row, b: &Row, key: SortKey) -> Ordering {
    match key {
        SortKey::Name => Ordering::Equal,
        SortKey::Integration => a.integration_label().cmp(b.integration_label()),
        SortKey::Category => a.category.cmp(&b.category),
        SortKey::Timeout => timeout_rank(a.timeout).cmp(&timeout_rank(b.timeout)),
        SortKey::Draft => draft_rank(a.draft).cmp(&draft_rank(b.draft)),
        SortKey::Secure => a.secure.cmp(&b.secure),
        SortKey::Editable => a.read_only().is_some().cmp(&b.read_only().is_some()),
    }
}

/// Orders timeouts by the seconds Genesys waits, an explicit 60 before the default, and
/// unknown last.
fn timeout_rank(timeout: Option<Timeout>) -> (u8, u8) {
    match timeout {
        Some(Timeout::Explicit(seconds)) => (seconds, 0),
        Some(Timeout::Default) => (60, 1),
        None => (u8::MAX, 0),
    }
}

fn draft_rank(draft: Option<DraftTimeout>) -> u8 {
    match draft {
        None => 0,
        Some(DraftTimeout::Same) => 1,
        Some(DraftTimeout::Differs(_)) => 2,
        Some(DraftTimeout::Unknown) => 3,
    }
}

/// The distinct categories of the rows, sorted, for the category filter.
pub fn categories(rows: &[Row]) -> Vec<String> {
    let mut categories: Vec<String> = rows.iter().map(|r| r.category.clone()).collect();
    categories.sort();
    categories.dedup();
    categories
}

/// The distinct integrations of the rows as (id, label), sorted by label.
pub fn integrations(rows: &[Row]) -> Vec<(String, String)> {
    let mut integrations: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.integration_id.clone(), r.integration_label().to_string()))
        .collect();
    integrations.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    integrations.dedup();
    integrations
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Integration;

    fn action(id: &str, name: &str, integration: &str, timeout: Option<u64>) -> Action {
        let config = match timeout {
            Some(seconds) => json!({ "timeoutSeconds": seconds, "request": {} }),
            None => json!({ "request": {} }),
        };
        serde_json::from_value(json!({
            "id": id, "name": name, "integrationId": integration, "category": format!("cat-{integration}"),
            "version": 1, "secure": id.ends_with('s'), "config": config,
        }))
        .expect("valid action")
    }

    fn integration(id: &str, name: &str, type_id: &str) -> Integration {
        serde_json::from_value(
            json!({ "id": id, "name": name, "integrationType": { "id": type_id } }),
        )
        .expect("valid integration")
    }

    fn org() -> LoadedOrg {
        let actions = vec![
            action("a1", "Lookup account", "i1", Some(20)),
            action("a2", "lookup order", "i2", None),
            action("a3s", "Create case", "i1", Some(5)),
            action("customAuth_-_i1", "Auth", "i1", None),
        ];
        let mut draft = action("a1", "Lookup account", "i1", Some(30));
        draft.version = 2;
        LoadedOrg::new(
            vec![
                integration("i1", "Web CRM", "custom-rest-actions"),
                integration("i2", "Functions", "function-data-actions"),
            ],
            actions,
            vec![draft, action("a2", "lookup order", "i2", None)],
        )
    }

    fn names(rows: &[Row], shown: &[usize]) -> Vec<String> {
        shown.iter().map(|&i| rows[i].name.clone()).collect()
    }

    #[test]
    fn rows_carry_integration_draft_and_classification() {
        let rows = rows(&org(), true);

        assert_eq!(rows[0].integration_name.as_deref(), Some("Web CRM"));
        assert_eq!(
            rows[0].draft,
            Some(DraftTimeout::Differs(Timeout::Explicit(30)))
        );
        assert_eq!(rows[1].draft, Some(DraftTimeout::Same));
        assert!(rows[1].classification.function);
        assert_eq!(rows[2].draft, None);
        assert!(rows[2].secure);
        assert_eq!(rows[3].read_only(), Some(ReadOnlyReason::CustomAuth));
    }

    #[test]
    fn rows_without_edit_permission_are_read_only() {
        let rows = rows(&org(), false);
        assert!(rows.iter().all(|r| r.read_only().is_some()));
    }

    #[test]
    fn search_ignores_case_and_surrounding_spaces() {
        let rows = rows(&org(), true);
        let filter = Filter {
            search: "  LOOKUP ".into(),
            ..Filter::default()
        };
        let shown = select(&rows, &filter, Sort::default());
        assert_eq!(names(&rows, &shown), ["Lookup account", "lookup order"]);
    }

    #[test]
    fn filters_combine() {
        let rows = rows(&org(), true);
        let explicit_in_i1 = Filter {
            integration_id: Some("i1".into()),
            timeout: TimeoutFilter::Explicit,
            ..Filter::default()
        };
        let shown = select(&rows, &explicit_in_i1, Sort::default());
        assert_eq!(names(&rows, &shown), ["Create case", "Lookup account"]);

        let defaults_with_draft = Filter {
            timeout: TimeoutFilter::Default,
            draft: DraftFilter::WithDraft,
            ..Filter::default()
        };
        let shown = select(&rows, &defaults_with_draft, Sort::default());
        assert_eq!(names(&rows, &shown), ["lookup order"]);

        let by_category = Filter {
            category: Some("cat-i2".into()),
            ..Filter::default()
        };
        assert_eq!(select(&rows, &by_category, Sort::default()).len(), 1);
    }

    #[test]
    fn sorting_by_timeout_puts_explicit_sixty_before_default_and_flips() {
        let rows = rows(&org(), true);
        let ascending = Sort::default().toggled(SortKey::Timeout);
        let shown = select(&rows, &Filter::default(), ascending);
        assert_eq!(
            names(&rows, &shown),
            ["Create case", "Lookup account", "Auth", "lookup order"]
        );

        let descending = ascending.toggled(SortKey::Timeout);
        assert!(descending.descending);
        let shown = select(&rows, &Filter::default(), descending);
        assert_eq!(names(&rows, &shown)[0], "lookup order");
    }

    #[test]
    fn name_order_is_case_insensitive() {
        let rows = rows(&org(), true);
        let shown = select(&rows, &Filter::default(), Sort::default());
        assert_eq!(
            names(&rows, &shown),
            ["Auth", "Create case", "Lookup account", "lookup order"]
        );
    }

    #[test]
    fn filter_choices_are_distinct_and_sorted() {
        let rows = rows(&org(), true);
        assert_eq!(categories(&rows), ["cat-i1", "cat-i2"]);
        assert_eq!(
            integrations(&rows),
            [
                ("i2".to_string(), "Functions".to_string()),
                ("i1".to_string(), "Web CRM".to_string())
            ]
        );
    }

    fn latency(p99_ms: f64) -> LatencyStats {
        LatencyStats {
            calls: 1_000,
            p99_ms: Some(p99_ms),
            ..LatencyStats::default()
        }
    }

    #[test]
    fn flag_filter_keeps_only_rows_with_the_chosen_flag() {
        let rows = rows(&org(), true);
        let all = select(&rows, &Filter::default(), Sort::default());
        // "Lookup account" waits 20 s for a 30 s p99; "lookup order" waits the 60 s default
        // for a 0.5 s p99; "Create case" waits 5 s for a 3 s p99, which is fine.
        let stats = HashMap::from([
            ("a1".to_string(), latency(30_000.0)),
            ("a2".to_string(), latency(500.0)),
            ("a3s".to_string(), latency(3_000.0)),
        ]);
        let kept = |filter| {
            let mut shown = all.clone();
            retain_flagged(&rows, &mut shown, filter, &stats);
            names(&rows, &shown)
        };

        assert_eq!(kept(FlagFilter::All), names(&rows, &all));
        assert_eq!(
            kept(FlagFilter::AnyFlag),
            ["Lookup account", "lookup order"]
        );
        assert_eq!(kept(FlagFilter::BelowP99), ["Lookup account"]);
        assert_eq!(kept(FlagFilter::FarAboveP99), ["lookup order"]);
    }

    #[test]
    fn rows_without_figures_carry_no_flag() {
        let rows = rows(&org(), true);
        let mut shown = select(&rows, &Filter::default(), Sort::default());
        retain_flagged(&rows, &mut shown, FlagFilter::AnyFlag, &HashMap::new());
        assert!(shown.is_empty());
    }
}
