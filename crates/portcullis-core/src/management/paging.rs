//! Auth0's paging of lists: `page` (from 0), `per_page` (default 50, at most 100) and
//! `include_totals`, which wraps the page as `{start, limit, length, total, <items>}`.

use super::error::{ManagementError, ManagementResult};

/// Items per page when `per_page` is not given.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The most items one page holds (Auth0: 100).
pub const MAX_PER_PAGE: u32 = 100;
/// How far paging reaches into a list (Auth0 stops user search results at 1000).
pub const MAX_RESULTS: u64 = 1000;

/// What a caller asked of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
    pub include_totals: bool,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 0,
            per_page: DEFAULT_PER_PAGE,
            include_totals: false,
        }
    }
}

impl PageRequest {
    /// Checks the values Auth0 checks: `per_page` from 1 to 100 (0 is taken as the default, as
    /// some clients send it), and the page within the first [`MAX_RESULTS`] results.
    pub fn new(
        page: Option<u32>,
        per_page: Option<u32>,
        include_totals: bool,
    ) -> ManagementResult<Self> {
        let per_page = match per_page {
            None | Some(0) => DEFAULT_PER_PAGE,
            Some(n) if n > MAX_PER_PAGE => {
                return Err(ManagementError::invalid_query(format!(
                    "Query validation error: 'per_page' must be at most {MAX_PER_PAGE}"
                )));
            }
            Some(n) => n,
        };
        let page = page.unwrap_or(0);
        if u64::from(page) * u64::from(per_page) >= MAX_RESULTS && page > 0 {
            return Err(ManagementError::invalid_query(format!(
                "You can only page through the first {MAX_RESULTS} records"
            )));
        }
        Ok(PageRequest {
            page,
            per_page,
            include_totals,
        })
    }

    /// Index of the first item of the page.
    pub fn start(&self) -> usize {
        self.page as usize * self.per_page as usize
    }
}

/// One page of a list, with what `include_totals` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub start: usize,
    pub limit: u32,
    pub total: usize,
}

/// Cuts the page `request` asks for out of the whole (ordered) list.
pub fn page_of<T>(all: Vec<T>, request: &PageRequest) -> Page<T> {
    let total = all.len();
    let start = request.start();
    let items = all
        .into_iter()
        .skip(start)
        .take(request.per_page as usize)
        .collect();
    Page {
        items,
        start,
        limit: request.per_page,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_in_order() {
        let request = PageRequest::new(Some(1), Some(2), true).expect("valid");
        let page = page_of(vec![1, 2, 3, 4, 5], &request);
        assert_eq!(page.items, vec![3, 4]);
        assert_eq!((page.start, page.limit, page.total), (2, 2, 5));
        let last = page_of(vec![1, 2, 3], &request);
        assert_eq!(last.items, vec![3]);
    }

    #[test]
    fn per_page_is_bounded() {
        assert!(PageRequest::new(None, Some(101), false).is_err());
        assert_eq!(
            PageRequest::new(None, None, false)
                .expect("default")
                .per_page,
            DEFAULT_PER_PAGE
        );
        assert!(PageRequest::new(Some(10), Some(100), false).is_err());
        assert!(PageRequest::new(Some(9), Some(100), false).is_ok());
    }
}
