//! Lazy, limit-aware paging over Harbor's offset-based listings.
//!
//! Harbor pages its listings with `page` and `page_size` and reports the
//! number of matching items in `X-Total-Count`. This module turns such a
//! listing into a [`Stream`] with these rules:
//!
//! * **Nothing happens until the stream is polled**, and it is `Send +
//!   'static`, so it can be stored, returned and moved to another task.
//! * **`page_size` and `limit` are separate knobs.** `page_size` is how many
//!   items one request asks for (1 to 100, Harbor's maximum); `limit` is how
//!   many items the whole listing yields. The stream stops exactly at
//!   `limit`, and a request that needs fewer than `page_size` items asks for
//!   only that many when the offset allows it (always on the first page).
//! * **No request is made that is not needed.** The next page is computed from
//!   `page`, `page_size` and `X-Total-Count`, so a listing whose size is an
//!   exact multiple of `page_size` ends without an extra, empty request. A
//!   short or empty page also ends it, which covers a missing total.
//!   Harbor's `Link` header is never replayed: Harbor writes the `q`
//!   parameter into it unescaped, so a query value holding `&` or `+` would
//!   be corrupted from page 2 on.
//! * **Offsets can shift while a listing runs.** A user created or deleted
//!   before the current offset moves every later user by one, so an item
//!   can come twice, at the end of one page and the start of the next. Items
//!   already yielded by the previous page are dropped (by id), and a changed
//!   total is logged. An item can still be missed when users before the
//!   offset are deleted; offset paging cannot prevent that, and no Harbor
//!   listing offers a cursor.
//! * **A page that brings nothing new ends the listing.** Harbor's user
//!   search ignores `page` (since v2.14.2) and answers every page with the
//!   first one, while announcing more; a full page of already-seen items
//!   therefore stops the stream instead of looping.
//! * **Prefetching** (`concurrency` above 1) requests up to that many pages at
//!   once after the first page has told the total, and still yields items in
//!   order.
//! * **The first error ends the stream**, after being yielded. A retry (see
//!   [`RetryPolicy`](crate::RetryPolicy)) repeats one request, never the
//!   listing.

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use futures::{
    Stream, StreamExt,
    future::BoxFuture,
    stream::{self, BoxStream},
};

use crate::Error;

/// Harbor's largest accepted `page_size`: it answers 422 above it.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The `page_size` used when none is given: the largest, to make the fewest
/// requests.
pub const DEFAULT_PAGE_SIZE: u64 = MAX_PAGE_SIZE;

/// One page of a listing, as Harbor returned it.
///
/// ```
/// use harbor_users::Page;
///
/// let page = Page { items: vec!["alice", "bob"], total: Some(12), page: 1, page_size: 2 };
/// assert!(page.has_more());
/// assert_eq!(page.into_items(), ["alice", "bob"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page, in Harbor's order.
    pub items: Vec<T>,
    /// The number of matching items over all pages (`X-Total-Count`), when
    /// Harbor sent a readable one.
    pub total: Option<u64>,
    /// The page number that was requested (1-based).
    pub page: u64,
    /// The page size that was requested.
    pub page_size: u64,
}

impl<T> Page<T> {
    /// Whether items follow this page, judged by the total or, without one,
    /// by whether the page is full.
    pub fn has_more(&self) -> bool {
        let end = self
            .page
            .saturating_sub(1)
            .saturating_mul(self.page_size)
            .saturating_add(self.items.len() as u64);
        match self.total {
            Some(total) => end < total,
            None => self.items.len() as u64 >= self.page_size && self.page_size > 0,
        }
    }

    /// The items, without the paging information.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

/// How a listing is paged: where it starts, how much each request asks for,
/// how much it yields in all, and how many requests may run at once.
///
/// ```
/// use harbor_users::Paging;
///
/// let paging = Paging::new().page_size(50).limit(120).concurrency(4);
/// assert_eq!(paging.get_page_size(), 50);
/// assert_eq!(paging.get_limit(), Some(120));
/// assert!(paging.validate().is_ok());
/// assert!(Paging::new().page_size(101).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    page: u64,
    page_size: u64,
    limit: Option<u64>,
    concurrency: usize,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            limit: None,
            concurrency: 1,
        }
    }
}

impl Paging {
    /// Page 1, `page_size` 100, no limit, one request at a time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The page to start from (1-based). Default 1.
    #[must_use]
    pub fn page(mut self, page: u64) -> Self {
        self.page = page;
        self
    }

    /// How many items one request asks for, 1 to 100. Default 100.
    #[must_use]
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size;
        self
    }

    /// The most items the whole listing yields. Default: all.
    #[must_use]
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// How many page requests may be in flight at once, once the first page
    /// has told the total. Default 1 (one after the other).
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// The first page requested.
    pub fn get_page(&self) -> u64 {
        self.page
    }

    /// The items per request.
    pub fn get_page_size(&self) -> u64 {
        self.page_size
    }

    /// The total limit, if any.
    pub fn get_limit(&self) -> Option<u64> {
        self.limit
    }

    /// The number of requests allowed in flight.
    pub fn get_concurrency(&self) -> usize {
        self.concurrency
    }

    /// Checks the settings before any request is made.
    pub fn validate(&self) -> Result<(), Error> {
        if self.page == 0 {
            return Err(Error::invalid_input("page", "pages are numbered from 1"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::invalid_input(
                "page_size",
                format!(
                    "{} is outside 1..={MAX_PAGE_SIZE} (Harbor answers 422 above \
                     {MAX_PAGE_SIZE}; use `limit` to bound the number of items)",
                    self.page_size
                ),
            ));
        }
        if self.concurrency == 0 {
            return Err(Error::invalid_input(
                "concurrency",
                "at least one request must be allowed in flight",
            ));
        }
        Ok(())
    }
}

/// Fetches one page: `(page, page_size)` to the page Harbor answered.
pub(crate) type FetchPage<T> =
    Arc<dyn Fn(u64, u64) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + Sync>;

/// Where the next request starts, and what it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Request {
    page: u64,
    page_size: u64,
}

/// The request that reads `wanted` items (at most `page_size`) from
/// `offset`. A smaller page size is used when the offset is a multiple of
/// it, so that the request asks for no more than is needed.
fn request_at(offset: u64, page_size: u64, wanted: Option<u64>) -> Request {
    if let Some(wanted) = wanted
        && wanted > 0
        && wanted < page_size
        && offset.is_multiple_of(wanted)
    {
        return Request {
            page: (offset / wanted).saturating_add(1),
            page_size: wanted,
        };
    }
    Request {
        page: (offset / page_size).saturating_add(1),
        page_size,
    }
}

/// The offset just past the items `request` asks for.
fn end_of(request: Request) -> u64 {
    request
        .page
        .saturating_sub(1)
        .saturating_mul(request.page_size)
        .saturating_add(request.page_size)
}

/// Pages requested ahead, with the request each answers.
type Prefetched<T> = BoxStream<'static, (Request, Result<Page<T>, Error>)>;

struct State<T> {
    fetch: FetchPage<T>,
    id_of: fn(&T) -> Option<i64>,
    page_size: u64,
    concurrency: usize,
    /// Offset (in items) of the next request.
    offset: u64,
    /// Items the listing may still yield.
    remaining: Option<u64>,
    total: Option<u64>,
    /// Ids of the previous page, sorted, to drop items that a shift
    /// repeated.
    previous_ids: Vec<i64>,
    /// Pages requested ahead, once the total is known.
    prefetched: Option<Prefetched<T>>,
    started: bool,
    finished: bool,
}

impl<T: Send + 'static> State<T> {
    /// The next request to make, or `None` when the listing is complete.
    fn next_request(&self) -> Option<Request> {
        if self.remaining == Some(0) {
            return None;
        }
        if let Some(total) = self.total
            && self.offset >= total
        {
            return None;
        }
        Some(request_at(self.offset, self.page_size, self.remaining))
    }

    /// After the first page: the requests for the rest of the listing, as
    /// far as the total and the limit tell, fetched `concurrency` at a time.
    ///
    /// The requests are made up as they are sent, not listed beforehand: a
    /// server announcing a total of billions (by mistake or malice) must not
    /// make the client allocate a request for each page of it. A short page
    /// ends the listing, and with it the requests ahead.
    fn start_prefetch(&mut self) {
        let Some(total) = self.total else { return };
        let end = match self.remaining {
            Some(remaining) => total.min(self.offset.saturating_add(remaining)),
            None => total,
        };
        let page_size = self.page_size;
        let request_from = move |offset: u64| {
            (offset < end).then(|| request_at(offset, page_size, Some(end - offset)))
        };
        let requests = std::iter::successors(request_from(self.offset), move |previous| {
            request_from(end_of(*previous))
        });
        let fetch = self.fetch.clone();
        let pages = stream::iter(requests)
            .map(move |request| {
                let future = fetch(request.page, request.page_size);
                async move { (request, future.await) }
            })
            .buffered(self.concurrency);
        self.prefetched = Some(pages.boxed());
    }

    /// Applies the page to the state and returns what to yield from it.
    fn absorb(&mut self, request: Request, page: Page<T>) -> Vec<T> {
        let received = page.items.len() as u64;
        if let (Some(before), Some(now)) = (self.total, page.total)
            && before != now
        {
            tracing::info!(
                before,
                now,
                "the total changed while listing; items may shift between pages"
            );
        }
        if page.total.is_some() {
            self.total = page.total;
        }

        // A page holds at most `MAX_PAGE_SIZE` ids: a binary search in a
        // sorted `Vec` costs less than hashing each one, and the items stay
        // in their own `Vec`, moved only when one is dropped.
        let id_of = self.id_of;
        let previous_ids = &self.previous_ids;
        let mut ids = Vec::with_capacity(page.items.len());
        let mut items = page.items;
        items.retain(|item| {
            let Some(id) = id_of(item) else {
                return true;
            };
            ids.push(id);
            let repeated = previous_ids.binary_search(&id).is_ok();
            if repeated {
                tracing::debug!(id, "dropped an item the previous page already yielded");
            }
            !repeated
        });
        let fresh = items.len() as u64;
        ids.sort_unstable();
        self.previous_ids = ids;

        if let Some(remaining) = self.remaining.as_mut() {
            items.truncate((*remaining).min(usize::MAX as u64) as usize);
            *remaining -= items.len() as u64;
        }
        self.offset = request
            .page
            .saturating_sub(1)
            .saturating_mul(request.page_size)
            .saturating_add(received);

        let short = received < request.page_size;
        let stale = received > 0 && fresh == 0;
        if stale {
            tracing::warn!(
                page = request.page,
                "a full page held only items already seen; ending the listing \
                 (Harbor's user search ignores `page`)"
            );
        }
        if short || stale || self.next_request().is_none() {
            self.finished = true;
        }
        items
    }
}

/// The pages of a listing, lazily.
pub(crate) fn pages<T: Send + 'static>(
    fetch: FetchPage<T>,
    id_of: fn(&T) -> Option<i64>,
    paging: Paging,
) -> BoxStream<'static, Result<Page<T>, Error>> {
    if let Err(error) = paging.validate() {
        return stream::once(async move { Err(error) }).boxed();
    }
    let state = State {
        fetch,
        id_of,
        page_size: paging.page_size,
        concurrency: paging.concurrency,
        offset: (paging.page - 1).saturating_mul(paging.page_size),
        remaining: paging.limit,
        total: None,
        previous_ids: Vec::new(),
        prefetched: None,
        started: false,
        finished: false,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if state.finished {
                return None;
            }
            let (request, result) = match state.prefetched.as_mut() {
                Some(pages) => pages.next().await?,
                None => {
                    let request = state.next_request()?;
                    let result = (state.fetch)(request.page, request.page_size).await;
                    (request, result)
                }
            };
            let page = match result {
                Ok(page) => page,
                Err(error) => {
                    state.finished = true;
                    state.prefetched = None;
                    return Some((Err(error), state));
                }
            };
            let total = page.total;
            let items = state.absorb(request, page);
            if state.finished {
                state.prefetched = None;
            } else if !state.started && state.concurrency > 1 {
                state.start_prefetch();
            }
            state.started = true;
            if !items.is_empty() {
                let page = Page {
                    items,
                    total,
                    page: request.page,
                    page_size: request.page_size,
                };
                return Some((Ok(page), state));
            }
        }
    })
    .boxed()
}

/// The items of a listing, lazily.
pub(crate) fn items<T: Send + 'static>(
    pages: BoxStream<'static, Result<Page<T>, Error>>,
) -> BoxStream<'static, Result<T, Error>> {
    Items {
        pages: Some(pages),
        current: Vec::new().into_iter(),
    }
    .boxed()
}

/// The items of the current page, then those of the next: a page's items
/// are handed out straight from its `Vec`, and the pages are polled only
/// when it is empty.
struct Items<T> {
    /// `None` once the pages have ended, or after the error that ended them.
    pages: Option<BoxStream<'static, Result<Page<T>, Error>>>,
    current: std::vec::IntoIter<T>,
}

// Nothing in `Items` is pinned: the pages are boxed and the items are
// moved out by value.
impl<T> Unpin for Items<T> {}

impl<T> Stream for Items<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            let Some(pages) = this.pages.as_mut() else {
                return Poll::Ready(None);
            };
            match ready!(pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => this.current = page.items.into_iter(),
                Some(Err(error)) => {
                    this.pages = None;
                    return Poll::Ready(Some(Err(error)));
                }
                None => {
                    this.pages = None;
                    return Poll::Ready(None);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.pages {
            Some(_) => (self.current.len(), None),
            None => (self.current.len(), Some(self.current.len())),
        }
    }
}

/// Collects a stream of results, stopping at the first error.
pub(crate) async fn collect<T>(
    stream: impl Stream<Item = Result<T, Error>>,
) -> Result<Vec<T>, Error> {
    futures::TryStreamExt::try_collect(stream).await
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::TryStreamExt;

    use super::*;

    /// A listing of `count` items with ids 1..=count, recording the
    /// requests it serves.
    #[derive(Clone)]
    struct Listing {
        items: Arc<Mutex<Vec<i64>>>,
        requests: Arc<Mutex<Vec<(u64, u64)>>>,
        send_total: bool,
        ignore_page: bool,
    }

    impl Listing {
        fn new(count: i64) -> Self {
            Self {
                items: Arc::new(Mutex::new((1..=count).collect())),
                requests: Arc::default(),
                send_total: true,
                ignore_page: false,
            }
        }

        fn requests(&self) -> Vec<(u64, u64)> {
            self.requests.lock().map(|r| r.clone()).unwrap_or_default()
        }

        fn fetcher(&self) -> FetchPage<i64> {
            let listing = self.clone();
            Arc::new(move |page, page_size| {
                let listing = listing.clone();
                Box::pin(async move {
                    if let Ok(mut requests) = listing.requests.lock() {
                        requests.push((page, page_size));
                    }
                    let all = listing.items.lock().map(|i| i.clone()).unwrap_or_default();
                    let start = if listing.ignore_page {
                        0
                    } else {
                        ((page - 1) * page_size) as usize
                    };
                    let items = all
                        .iter()
                        .skip(start)
                        .take(page_size as usize)
                        .copied()
                        .collect();
                    Ok(Page {
                        items,
                        total: listing.send_total.then_some(all.len() as u64),
                        page,
                        page_size,
                    })
                })
            })
        }

        async fn list(&self, paging: Paging) -> Result<Vec<i64>, Error> {
            items(pages(self.fetcher(), |id| Some(*id), paging))
                .try_collect()
                .await
        }
    }

    #[tokio::test]
    async fn an_exact_multiple_of_the_page_size_sends_no_extra_request() {
        let listing = Listing::new(20);
        let all = listing
            .list(Paging::new().page_size(10))
            .await
            .expect("listing");
        assert_eq!(all, (1..=20).collect::<Vec<_>>());
        assert_eq!(listing.requests(), [(1, 10), (2, 10)]);
    }

    #[tokio::test]
    async fn a_limit_below_the_page_size_asks_for_only_that_many() {
        let listing = Listing::new(500);
        let some = listing.list(Paging::new().limit(7)).await.expect("listing");
        assert_eq!(some, (1..=7).collect::<Vec<_>>());
        assert_eq!(listing.requests(), [(1, 7)]);
    }

    #[tokio::test]
    async fn the_stream_stops_exactly_at_the_limit() {
        let listing = Listing::new(500);
        let some = listing
            .list(Paging::new().page_size(10).limit(25))
            .await
            .expect("listing");
        assert_eq!(some, (1..=25).collect::<Vec<_>>());
        // The last request asks for the 5 items it needs (offset 20 = page 5 of 5).
        assert_eq!(listing.requests(), [(1, 10), (2, 10), (5, 5)]);
    }

    #[tokio::test]
    async fn a_limit_that_is_a_multiple_of_the_page_size_sends_no_extra_request() {
        let listing = Listing::new(500);
        let some = listing
            .list(Paging::new().page_size(10).limit(10))
            .await
            .expect("listing");
        assert_eq!(some.len(), 10);
        assert_eq!(listing.requests(), [(1, 10)]);
    }

    #[tokio::test]
    async fn without_a_total_a_short_page_ends_the_listing() {
        let mut listing = Listing::new(25);
        listing.send_total = false;
        let all = listing
            .list(Paging::new().page_size(10))
            .await
            .expect("listing");
        assert_eq!(all.len(), 25);
        assert_eq!(listing.requests(), [(1, 10), (2, 10), (3, 10)]);
    }

    #[tokio::test]
    async fn a_server_that_ignores_page_does_not_loop_or_duplicate() {
        let mut listing = Listing::new(25);
        listing.ignore_page = true;
        let all = listing
            .list(Paging::new().page_size(10))
            .await
            .expect("listing");
        assert_eq!(all, (1..=10).collect::<Vec<_>>());
        assert_eq!(listing.requests(), [(1, 10), (2, 10)]);
    }

    #[tokio::test]
    async fn items_of_the_previous_page_are_dropped_whatever_their_order() {
        // Page 2 repeats ids 7 and 3 of page 1, in another order and among
        // new ones, as a listing sorted by name can.
        let fetch: FetchPage<i64> = Arc::new(|page, page_size| {
            let items = match page {
                1 => vec![9, 3, 7, 1],
                2 => vec![7, 12, 3, 10],
                _ => vec![20],
            };
            Box::pin(async move {
                Ok(Page {
                    items,
                    total: Some(9),
                    page,
                    page_size,
                })
            })
        });
        let all: Vec<i64> = items(pages(fetch, |id| Some(*id), Paging::new().page_size(4)))
            .try_collect()
            .await
            .expect("listing");
        assert_eq!(all, [9, 3, 7, 1, 12, 10, 20]);
    }

    #[tokio::test]
    async fn items_repeated_by_a_shift_are_yielded_once() {
        let listing = Listing::new(30);
        let fetch = listing.fetcher();
        let shifting = listing.clone();
        // Before page 2 is read, a user is inserted at the front: page 2
        // starts with the last item of page 1.
        let wrapped: FetchPage<i64> = Arc::new(move |page, size| {
            if page == 2
                && let Ok(mut items) = shifting.items.lock()
            {
                items.insert(0, 0);
            }
            fetch(page, size)
        });
        let all: Vec<i64> = items(pages(wrapped, |id| Some(*id), Paging::new().page_size(10)))
            .try_collect()
            .await
            .expect("listing");
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "no duplicates in {all:?}");
        assert!(all.contains(&30));
    }

    #[tokio::test]
    async fn prefetching_yields_items_in_order_and_requests_only_what_is_needed() {
        let listing = Listing::new(95);
        let all = listing
            .list(Paging::new().page_size(10).concurrency(4))
            .await
            .expect("listing");
        assert_eq!(all, (1..=95).collect::<Vec<_>>());
        let mut requested = listing.requests();
        requested.sort_unstable();
        // Nine full pages, then the last five items as page 19 of size 5.
        let mut expected: Vec<(u64, u64)> = (1..=9).map(|page| (page, 10)).collect();
        expected.push((19, 5));
        assert_eq!(requested, expected);
    }

    #[tokio::test]
    async fn prefetching_honours_the_limit() {
        let listing = Listing::new(1000);
        let some = listing
            .list(Paging::new().page_size(10).limit(35).concurrency(8))
            .await
            .expect("listing");
        assert_eq!(some, (1..=35).collect::<Vec<_>>());
        let mut requested = listing.requests();
        requested.sort_unstable();
        assert_eq!(requested, [(1, 10), (2, 10), (3, 10), (7, 5)]);
    }

    #[tokio::test]
    async fn nothing_is_requested_until_the_stream_is_polled() {
        let listing = Listing::new(10);
        let stream = items(pages(listing.fetcher(), |id| Some(*id), Paging::new()));
        assert!(listing.requests().is_empty());
        drop(stream);
        assert!(listing.requests().is_empty());
    }

    #[tokio::test]
    async fn the_first_error_ends_the_stream_after_being_yielded() {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let fetch: FetchPage<i64> = Arc::new(move |page, page_size| {
            if let Ok(mut calls) = counter.lock() {
                *calls += 1;
            }
            Box::pin(async move {
                if page == 2 {
                    return Err(Error::invalid_input("test", "page 2 fails"));
                }
                Ok(Page {
                    items: (1..=page_size as i64)
                        .map(|i| i + (page as i64 - 1) * 10)
                        .collect(),
                    total: Some(100),
                    page,
                    page_size,
                })
            })
        });
        let results: Vec<Result<i64, Error>> =
            items(pages(fetch, |id| Some(*id), Paging::new().page_size(10)))
                .collect()
                .await;
        assert_eq!(results.len(), 11);
        assert!(results[..10].iter().all(Result::is_ok));
        assert!(results[10].is_err());
        assert_eq!(calls.lock().map(|c| *c).unwrap_or_default(), 2);
    }

    #[tokio::test]
    async fn invalid_paging_is_reported_before_any_request() {
        let listing = Listing::new(10);
        for paging in [
            Paging::new().page_size(0),
            Paging::new().page_size(101),
            Paging::new().page(0),
            Paging::new().concurrency(0),
        ] {
            let error = listing.list(paging).await.expect_err("invalid");
            assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
        }
        assert!(listing.requests().is_empty());
    }

    #[tokio::test]
    async fn a_later_start_page_keeps_its_offset_when_the_limit_is_small() {
        let listing = Listing::new(100);
        let some = listing
            .list(Paging::new().page(3).page_size(10).limit(4))
            .await
            .expect("listing");
        assert_eq!(some, [21, 22, 23, 24]);
        // Offset 20 is a multiple of 4: page 6 of size 4.
        assert_eq!(listing.requests(), [(6, 4)]);
    }

    /// A fetcher answering every request with a full page of ids derived
    /// from the page asked for, and `total` as `X-Total-Count`; it counts
    /// the requests it serves, and ends the data after `real` items.
    fn endless(total: Option<u64>, real: u64, calls: Arc<Mutex<u64>>) -> FetchPage<i64> {
        Arc::new(move |page, page_size| {
            if let Ok(mut calls) = calls.lock() {
                *calls += 1;
            }
            let first = page.saturating_sub(1).saturating_mul(page_size);
            let items = (first..first.saturating_add(page_size))
                .take_while(|offset| *offset < real)
                .map(|offset| i64::try_from(offset).unwrap_or(i64::MAX))
                .collect();
            Box::pin(async move {
                Ok(Page {
                    items,
                    total,
                    page,
                    page_size,
                })
            })
        })
    }

    #[tokio::test]
    async fn a_huge_announced_total_with_prefetch_neither_allocates_nor_loops() {
        // Before requests were made up lazily, prefetching listed one request
        // per page of the announced total up front: 1.8e17 of them here.
        let calls = Arc::new(Mutex::new(0));
        let fetch = endless(Some(u64::MAX), 250, calls.clone());
        let paging = Paging::new().page_size(100).concurrency(4);
        let listing = items(pages(fetch, |id| Some(*id), paging)).try_collect::<Vec<_>>();
        let all = tokio::time::timeout(std::time::Duration::from_secs(10), listing)
            .await
            .expect("the listing ends")
            .expect("the listing succeeds");
        assert_eq!(all, (0..250).collect::<Vec<_>>());
        let calls = calls.lock().map(|calls| *calls).unwrap_or_default();
        assert!(calls <= 3 + 4, "{calls} requests");
    }

    #[tokio::test]
    async fn the_last_pages_a_u64_can_name_do_not_overflow() {
        let calls = Arc::new(Mutex::new(0));
        let fetch = endless(Some(u64::MAX), u64::MAX, calls.clone());
        for paging in [
            Paging::new().page(u64::MAX).page_size(100).limit(250),
            Paging::new().page(u64::MAX).page_size(1).limit(3),
            Paging::new()
                .page(u64::MAX / 100)
                .page_size(100)
                .concurrency(3)
                .limit(1000),
        ] {
            let listing = items(pages(fetch.clone(), |id| Some(*id), paging));
            let results: Vec<Result<i64, Error>> = listing.collect().await;
            assert!(results.iter().all(Result::is_ok), "{paging:?}");
        }
        let page = Page {
            items: vec![1, 2],
            total: None,
            page: u64::MAX,
            page_size: 100,
        };
        assert!(!page.has_more(), "a short page ends the listing");
    }

    proptest::proptest! {
        #[test]
        fn any_paging_a_caller_sets_ends_in_order_or_is_refused_up_front(
            page in proptest::prop_oneof![1..5u64, proptest::arbitrary::any::<u64>()],
            page_size in 0..=120u64,
            limit in proptest::option::of(0..400u64),
            concurrency in 0..6usize,
            total in proptest::option::of(proptest::prop_oneof![0..400u64, proptest::arbitrary::any::<u64>()]),
        ) {
            let paging = Paging { page, page_size, limit, concurrency };
            let calls = Arc::new(Mutex::new(0));
            let fetch = endless(total, 300, calls.clone());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map_err(|error| proptest::test_runner::TestCaseError::fail(error.to_string()))?;
            let results: Vec<Result<i64, Error>> =
                runtime.block_on(items(pages(fetch, |id| Some(*id), paging)).collect());

            match paging.validate() {
                Err(_) => {
                    proptest::prop_assert_eq!(results.len(), 1);
                    let refused = matches!(results[0], Err(Error::InvalidInput { .. }));
                    proptest::prop_assert!(refused, "{:?}", results);
                    proptest::prop_assert_eq!(calls.lock().map(|c| *c).unwrap_or_default(), 0);
                }
                Ok(()) => {
                    let ids: Vec<i64> = results.into_iter().collect::<Result<_, _>>()
                        .map_err(|error| proptest::test_runner::TestCaseError::fail(error.to_string()))?;
                    proptest::prop_assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{:?}", ids);
                    proptest::prop_assert!(ids.len() as u64 <= limit.unwrap_or(u64::MAX));
                    proptest::prop_assert!(ids.len() <= 300);
                }
            }
        }
    }

    #[test]
    fn requests_shrink_only_when_the_offset_allows_it() {
        assert_eq!(
            request_at(0, 100, Some(7)),
            Request {
                page: 1,
                page_size: 7
            }
        );
        assert_eq!(
            request_at(200, 100, Some(50)),
            Request {
                page: 5,
                page_size: 50
            }
        );
        assert_eq!(
            request_at(30, 10, Some(7)),
            Request {
                page: 4,
                page_size: 10
            }
        );
        assert_eq!(
            request_at(30, 10, None),
            Request {
                page: 4,
                page_size: 10
            }
        );
    }
}
