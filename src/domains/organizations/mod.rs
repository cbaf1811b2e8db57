//! Organizations, hospitals, departments, staff (physicians included) and patients.

pub mod api;
pub mod departments;
pub mod hospitals;
pub mod model;
pub mod orgs;
pub mod patients;
pub mod rules;
pub mod service;
pub mod staff;
