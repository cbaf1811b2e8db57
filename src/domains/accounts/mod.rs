//! Accounts: users with one role each, logins, tokens, sessions and password changes.

pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod users;
