//! Reference data, the synthetic demo data set, and the `px360 admin` commands.

pub mod admin;
pub mod bench;
pub mod demo;
pub mod demo_complaints;
pub mod demo_surveys;
pub mod reference;
pub mod survey_templates;
pub mod taxonomy;
pub mod volume;
