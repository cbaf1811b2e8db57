//! The nine roles of the spec, their levels, and what each may do.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PxAdmin,
    HospitalAdmin,
    DepartmentManager,
    PxCoordinator,
    Physician,
    Nurse,
    Staff,
    Viewer,
    SourceUser,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::PxAdmin,
        Role::HospitalAdmin,
        Role::DepartmentManager,
        Role::PxCoordinator,
        Role::Physician,
        Role::Nurse,
        Role::Staff,
        Role::Viewer,
        Role::SourceUser,
    ];

    pub fn level(self) -> u8 {
        match self {
            Role::PxAdmin => 100,
            Role::HospitalAdmin => 80,
            Role::DepartmentManager => 60,
            Role::PxCoordinator => 50,
            Role::Physician => 40,
            Role::Nurse => 30,
            Role::Staff => 20,
            Role::Viewer => 10,
            Role::SourceUser => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PxAdmin => "px_admin",
            Role::HospitalAdmin => "hospital_admin",
            Role::DepartmentManager => "department_manager",
            Role::PxCoordinator => "px_coordinator",
            Role::Physician => "physician",
            Role::Nurse => "nurse",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
            Role::SourceUser => "source_user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Users grant only lower levels; a PX admin grants any.
    pub fn can_grant(self, other: Role) -> bool {
        self == Role::PxAdmin || other.level() < self.level()
    }

    /// Roles below px_coordinator see national id and phone masked.
    pub fn sees_pii(self) -> bool {
        self.level() >= Role::PxCoordinator.level()
    }
}

/// Capabilities of the access matrix (spec §3). Routes declare one; [`Role::may`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The home page / command center, scoped.
    ViewDashboard,
    /// Hospitals, departments, physicians and staff directory.
    ViewDirectory,
    /// Patients (PII masked below px_coordinator).
    ViewPatients,
    ManagePatients,
    /// Organizations and hospitals: create, edit, delete.
    ManageHospitals,
    /// Departments, staff, users, hospital settings (PXA, HA).
    ManageHospitalData,
    ManageUsers,
    ViewAudit,
    /// Switch the working hospital (PX admin only).
    SwitchHospital,
    /// Jobs, schedules and other system operations (PX admin only).
    ManageSystem,
    /// Post integration events with a user token (API keys carry their own binding).
    PostEvents,
    /// The integration events list and detail.
    ViewEvents,
    /// Process a failed or ignored event again.
    RetryEvents,
    /// Create and revoke the API keys of hospital systems (PX admin; hospital admins only read).
    ManageIntegrations,
    /// Complaint and PX Action lists and details (viewers read; source users their own).
    ViewComplaints,
    /// File a complaint or inquiry on a hospital's behalf (source users for their source).
    CreateComplaints,
    /// Work complaints, explanations and PX Actions: notes, status moves, actions.
    HandleComplaints,
    /// Assign complaints (handler and subject staff) and bulk-assign.
    AssignComplaints,
    /// Approve or reject PX Actions pending approval.
    ApproveActions,
    /// Read SLA configs, escalation rules, calendars and the taxonomy (hospital admins read).
    ViewSlaSettings,
    /// Edit SLA configs, escalation rules, working calendars (PX admin only).
    ManageSlaSettings,
    /// Edit a hospital's complaint taxonomy (PX admins; hospital admins for their hospital).
    ManageTaxonomy,
    /// Survey lists, details, answers and results (nurses read).
    ViewSurveys,
    /// Send surveys by hand or in bulk, cancel them, log patient contact, send follow-ups.
    HandleSurveys,
    /// Build, edit and publish survey templates; kiosk QR codes.
    ManageSurveyTemplates,
    /// The command center, KPI reports, their exports and the physician leaderboard (spec §3:
    /// analytics; department managers for their departments).
    ViewAnalytics,
    /// A physician's own ratings page (physicians), besides everyone with `ViewAnalytics`.
    ViewOwnRatings,
}

impl Role {
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ViewDashboard => self != SourceUser,
            ViewDirectory => {
                matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | Physician | Nurse | Viewer)
            }
            ViewPatients => matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | Viewer),
            ManagePatients => matches!(self, PxAdmin | HospitalAdmin | PxCoordinator),
            ManageHospitals | SwitchHospital | ManageSystem => self == PxAdmin,
            ManageHospitalData | ManageUsers => matches!(self, PxAdmin | HospitalAdmin),
            ViewAudit | PostEvents | ViewEvents => matches!(self, PxAdmin | HospitalAdmin),
            RetryEvents | ManageIntegrations | ManageSlaSettings => self == PxAdmin,
            ViewComplaints => {
                matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | Viewer | SourceUser)
            }
            CreateComplaints => {
                matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | SourceUser)
            }
            HandleComplaints => matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator),
            AssignComplaints | ViewSlaSettings | ManageTaxonomy => matches!(self, PxAdmin | HospitalAdmin),
            ApproveActions => matches!(self, PxAdmin | HospitalAdmin | PxCoordinator),
            ViewSurveys => matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | Nurse),
            HandleSurveys => matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator),
            ManageSurveyTemplates => matches!(self, PxAdmin | HospitalAdmin | PxCoordinator),
            ViewAnalytics => matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | Viewer),
            ViewOwnRatings => {
                matches!(self, PxAdmin | HospitalAdmin | DepartmentManager | PxCoordinator | Viewer | Physician)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_and_levels_descend() {
        let mut last = u8::MAX;
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert!(role.level() < last);
            last = role.level();
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn only_lower_levels_are_granted_except_by_px_admin() {
        assert!(Role::PxAdmin.can_grant(Role::PxAdmin));
        assert!(Role::HospitalAdmin.can_grant(Role::PxCoordinator));
        assert!(!Role::HospitalAdmin.can_grant(Role::HospitalAdmin));
        assert!(!Role::HospitalAdmin.can_grant(Role::PxAdmin));
    }
}
