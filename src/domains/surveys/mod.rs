//! Surveys: bilingual templates with versioned questions, delivery with fallback and reminders,
//! the patient's page, scoring and the closed loop to PX Actions (spec §6).

pub mod delivery;
pub mod model;
pub mod respond;
pub mod rules;
pub mod versions;
