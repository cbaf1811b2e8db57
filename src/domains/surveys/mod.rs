//! Surveys: templates and instances (questions, delivery and scoring come with the surveys issue).

pub mod model;
