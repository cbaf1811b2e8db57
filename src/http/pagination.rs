//! The one pagination: `?page=&page_size=` (50 by default, 100 at most) with `?search=` and
//! `?ordering=`, answered as `{"count","next","previous","results"}`.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter,
    QueryOrder, Select,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppResult, invalid};

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The common list parameters. Module-specific filters are parsed separately.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// 1-based page number.
    pub page: Option<String>,
    /// Rows per page, at most 100.
    pub page_size: Option<String>,
    /// Case-insensitive text search over the list's search fields.
    pub search: Option<String>,
    /// A field name, `-` prefix for descending.
    pub ordering: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            count: self.count,
            next: self.next,
            previous: self.previous,
            results: self.results.into_iter().map(f).collect(),
        }
    }
}

impl ListParams {
    pub fn page(&self) -> AppResult<u64> {
        match self.page.as_deref().filter(|p| !p.is_empty()) {
            None => Ok(1),
            Some(p) => p.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| invalid("page", "Invalid page.")),
        }
    }

    pub fn page_size(&self) -> AppResult<u64> {
        match self.page_size.as_deref().filter(|p| !p.is_empty()) {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(p) => p
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .map(|n| std::cmp::Ord::min(n, MAX_PAGE_SIZE))
                .ok_or_else(|| invalid("page_size", "A positive integer is required.")),
        }
    }

    pub fn search_term(&self) -> Option<String> {
        self.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.chars().take(100).collect())
    }
}

/// Adds a case-insensitive `LIKE` over `columns` (works the same on SQLite and PostgreSQL).
pub fn search<E: EntityTrait, C: ColumnTrait>(select: Select<E>, params: &ListParams, columns: &[C]) -> Select<E> {
    let Some(term) = params.search_term() else { return select };
    let escaped = term.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let mut any = Condition::any();
    for column in columns {
        let lowered = Expr::expr(Func::lower(Expr::col(column.as_column_ref())));
        any = any.add(lowered.like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')));
    }
    select.filter(any)
}

/// Applies `?ordering=` if it names one of `allowed` (`name → column`), else `default`.
/// An unknown field is a 400, so a typo is not silently ignored.
pub fn order<E: EntityTrait, C: ColumnTrait>(
    select: Select<E>,
    params: &ListParams,
    allowed: &[(&str, C)],
    default: (C, Order),
) -> AppResult<Select<E>> {
    let Some(raw) = params.ordering.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(select.order_by(default.0, default.1));
    };
    let (name, direction) = match raw.strip_prefix('-') {
        Some(rest) => (rest, Order::Desc),
        None => (raw, Order::Asc),
    };
    let column = allowed
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
        .ok_or_else(|| invalid("ordering", format!("Cannot order by \"{name}\".")))?;
    Ok(select.order_by(column, direction).order_by(default.0, default.1))
}

/// Runs `select` one page at a time. `path` is the request path and query, used for next/previous.
pub async fn fetch<E, M, C>(db: &C, select: Select<E>, params: &ListParams, path: &str) -> AppResult<Page<M>>
where
    E: EntityTrait<Model = M>,
    M: FromQueryResult + Send + Sync,
    C: ConnectionTrait,
{
    let page = params.page()?;
    let size = params.page_size()?;
    let paginator = select.paginate(db, size);
    let count = paginator.num_items().await?;
    let pages = std::cmp::Ord::max(count.div_ceil(size), 1);
    if page > pages {
        return Err(crate::error::AppError::NotFound("page"));
    }
    let results = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        count,
        next: (page < pages).then(|| page_url(path, page + 1)),
        previous: (page > 1).then(|| page_url(path, page - 1)),
        results,
    })
}

/// `path` with its `page` parameter set to `page`.
pub fn page_url(path: &str, page: u64) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    pairs.retain(|(k, _)| k != "page");
    pairs.push(("page".into(), page.to_string()));
    format!("{base}?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_keep_other_filters() {
        assert_eq!(page_url("/api/x/?search=a&page=2", 3), "/api/x/?search=a&page=3");
        assert_eq!(page_url("/api/x/", 2), "/api/x/?page=2");
    }

    #[test]
    fn page_size_is_capped_and_validated() {
        let p = ListParams { page_size: Some("1000".into()), ..Default::default() };
        assert_eq!(p.page_size().unwrap(), MAX_PAGE_SIZE);
        let bad = ListParams { page_size: Some("x".into()), ..Default::default() };
        assert!(bad.page_size().is_err());
        let zero = ListParams { page: Some("0".into()), ..Default::default() };
        assert!(zero.page().is_err());
    }
}
