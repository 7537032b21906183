//! The paged listing shape shared by every list endpoint: `entities`, `pageSize`,
//! `pageNumber`, `total`, `pageCount` and the relative `firstUri`/`selfUri`/`nextUri`/
//! `previousUri`/`lastUri`, which repeat the request's other parameters.

use serde_json::{Map, Value, json};

use crate::api::QueryParams;
use crate::error::ApiError;

/// The largest page the emulator serves. The real maximum is unconfirmed; refusing larger
/// pages keeps clients on the size known to work.
pub const MAX_PAGE_SIZE: usize = 100;
pub const DEFAULT_PAGE_SIZE: usize = 25;

/// A requested page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub size: usize,
    pub number: usize,
}

impl Page {
    /// Reads `pageSize` (1 to 100, default 25) and `pageNumber` (from 1, default 1).
    pub fn from_query(query: &QueryParams) -> Result<Self, ApiError> {
        let size = query.number("pageSize", DEFAULT_PAGE_SIZE, 1..=MAX_PAGE_SIZE)?;
        let number = query.number("pageNumber", 1, 1..=usize::MAX)?;
        Ok(Page { size, number })
    }

    /// The slice of `items` this page covers.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.number - 1).saturating_mul(self.size).min(items.len());
        let end = start.saturating_add(self.size).min(items.len());
        &items[start..end]
    }
}

/// Builds the listing body for one page of `total` items.
pub fn body(
    path: &str,
    query: &QueryParams,
    page: Page,
    total: usize,
    entities: Vec<Value>,
) -> Value {
    let page_count = total.div_ceil(page.size);
    let uri = |number: usize| page_uri(path, query, page.size, number);

    let mut object = Map::new();
    object.insert("entities".into(), Value::Array(entities));
    object.insert("pageSize".into(), json!(page.size));
    object.insert("pageNumber".into(), json!(page.number));
    object.insert("total".into(), json!(total));
    object.insert("pageCount".into(), json!(page_count));
    object.insert("firstUri".into(), json!(uri(1)));
    object.insert("selfUri".into(), json!(uri(page.number)));
    if page.number < page_count {
        object.insert("nextUri".into(), json!(uri(page.number + 1)));
    }
    if page.number > 1 {
        object.insert(
            "previousUri".into(),
            json!(uri((page.number - 1).min(page_count.max(1)))),
        );
    }
    object.insert("lastUri".into(), json!(uri(page_count.max(1))));
    Value::Object(object)
}

/// `path?pageSize=S&pageNumber=N&<the other parameters, in request order>`.
fn page_uri(path: &str, query: &QueryParams, size: usize, number: usize) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    serializer.append_pair("pageSize", &size.to_string());
    serializer.append_pair("pageNumber", &number.to_string());
    for (name, value) in &query.0 {
        if name != "pageSize" && name != "pageNumber" {
            serializer.append_pair(name, value);
        }
    }
    format!("{path}?{}", serializer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_carry_the_page_then_the_other_parameters() {
        let query = QueryParams::parse(Some(
            "includeConfig=true&pageNumber=2&pageSize=10&name=a%20b",
        ));
        let page = Page::from_query(&query).unwrap();
        let body = body("/x", &query, page, 35, Vec::new());
        assert_eq!(
            body["selfUri"],
            "/x?pageSize=10&pageNumber=2&includeConfig=true&name=a+b"
        );
        assert_eq!(
            body["nextUri"],
            "/x?pageSize=10&pageNumber=3&includeConfig=true&name=a+b"
        );
        assert_eq!(
            body["previousUri"],
            "/x?pageSize=10&pageNumber=1&includeConfig=true&name=a+b"
        );
        assert_eq!(
            body["lastUri"],
            "/x?pageSize=10&pageNumber=4&includeConfig=true&name=a+b"
        );
        assert_eq!(body["pageCount"], 4);
    }

    #[test]
    fn the_last_page_has_no_next_and_the_first_no_previous() {
        let query = QueryParams::default();
        let first = body(
            "/x",
            &query,
            Page {
                size: 25,
                number: 1,
            },
            25,
            Vec::new(),
        );
        assert!(first.get("nextUri").is_none());
        assert!(first.get("previousUri").is_none());
    }

    #[test]
    fn an_empty_listing_has_no_pages_but_valid_uris() {
        let query = QueryParams::default();
        let empty = body(
            "/x",
            &query,
            Page {
                size: 25,
                number: 1,
            },
            0,
            Vec::new(),
        );
        assert_eq!(empty["pageCount"], 0);
        assert_eq!(empty["lastUri"], "/x?pageSize=25&pageNumber=1");
    }

    #[test]
    fn page_sizes_above_one_hundred_are_refused() {
        let query = QueryParams::parse(Some("pageSize=101"));
        assert_eq!(Page::from_query(&query).unwrap_err().status.as_u16(), 400);
        let zero = QueryParams::parse(Some("pageNumber=0"));
        assert!(Page::from_query(&zero).is_err());
    }

    #[test]
    fn a_page_past_the_end_is_empty() {
        let items = [1, 2, 3];
        assert_eq!(Page { size: 2, number: 2 }.slice(&items), &[3]);
        assert!(Page { size: 2, number: 5 }.slice(&items).is_empty());
    }
}
