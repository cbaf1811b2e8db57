//! Organizations, hospitals, departments, staff (physicians included) and patients.

pub mod api;
pub mod departments;
pub mod model;
pub mod rules;
pub mod service;
