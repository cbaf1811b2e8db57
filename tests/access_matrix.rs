//! The access matrix (spec §3, encoded in `Role::may`) over every API route, for every role, plus
//! CSRF on forms and the login redirect of pages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ADMIN_B, TestApp, assert_detail, cookie_client, email, json, location};
use px360::auth::{Permission, Role};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

type Body = Box<dyn Fn(Role) -> Value>;

/// One API resource of the matrix: its list path, the permission each operation declares, and
/// fixtures to act on.
struct Res {
    name: &'static str,
    path: &'static str,
    view: Permission,
    create: Option<Permission>,
    update: Option<Permission>,
    delete: Option<Permission>,
    /// A row of hospital A (or group-wide), for roles that view but did not create one.
    existing_a: Uuid,
    /// A row of hospital B, invisible to everyone but the PX admin.
    existing_b: Option<Uuid>,
    body: Body,
    patch: Value,
}

/// The matrix's outcome: every mismatch is collected, then reported at once.
#[derive(Default)]
struct Checks {
    checks: usize,
    failures: Vec<String>,
}

impl Checks {
    fn expect(&mut self, who: &str, what: String, got: StatusCode, want: StatusCode, body: &Value) {
        self.checks += 1;
        if got != want {
            self.failures.push(format!("{who:<24} {what:<40} got {got}, want {want}: {body}"));
        }
    }
}

fn code(prefix: &str, role: Role) -> String {
    format!("{prefix}-{}", role.as_str()).to_uppercase()
}

/// The id in a 201 body.
fn id_of(body: &Value) -> Uuid {
    body["id"].as_str().unwrap_or_else(|| panic!("no id in {body}")).parse().unwrap()
}

async fn create_as(app: &TestApp, token: &str, path: &str, body: Value) -> Uuid {
    let (status, created) = json(app.post(path, token, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "fixture {path}: {created}");
    id_of(&created)
}

fn physician_body(hospital: Uuid, license: &str) -> Value {
    json!({"hospital_id": hospital, "staff_type": "physician", "first_name_en": "Huda", "license_number": license})
}

fn patient_body(hospital: Uuid, mrn: &str) -> Value {
    json!({"hospital_id": hospital, "mrn": mrn, "first_name_en": "Salem", "phone": "0501234567", "national_id": "1012345678"})
}

#[tokio::test]
async fn every_role_gets_the_status_the_access_matrix_gives_it_on_every_api_route() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.hospital_a.id, app.hospital_b.id);
    let px = app.token(&email(Role::PxAdmin)).await;

    // Fixtures only the PX admin can make: staff, patients and an organization in both hospitals.
    let staff_a = create_as(&app, &px, "/api/organizations/staff/", physician_body(a, "LIC-A")).await;
    let staff_b = create_as(&app, &px, "/api/organizations/staff/", physician_body(b, "LIC-B")).await;
    let patient_a = create_as(&app, &px, "/api/organizations/patients/", patient_body(a, "MRN-A")).await;
    let patient_b = create_as(&app, &px, "/api/organizations/patients/", patient_body(b, "MRN-B")).await;
    let org =
        create_as(&app, &px, "/api/organizations/organizations/", json!({"code": "GRP", "name_en": "Group"})).await;

    use Permission::*;
    let with_hospital = move |role: Role, mut body: Value| {
        // Only a PX admin names the hospital; everyone else writes to their own.
        if role == Role::PxAdmin {
            body["hospital_id"] = json!(a);
        }
        body
    };
    let resources = vec![
        Res {
            name: "departments",
            path: "/api/organizations/departments/",
            view: ViewDirectory,
            create: Some(ManageHospitalData),
            update: Some(ManageHospitalData),
            delete: Some(ManageHospitalData),
            existing_a: app.department_id(a, "ADM-005").await,
            existing_b: Some(app.department_id(b, "EMR-001").await),
            body: Box::new(move |role| with_hospital(role, json!({"code": code("D", role), "name_en": "New unit"}))),
            patch: json!({"location": "Floor 2"}),
        },
        Res {
            name: "users",
            path: "/api/accounts/users/",
            view: ManageUsers,
            create: Some(ManageUsers),
            update: Some(ManageUsers),
            delete: Some(ManageUsers),
            existing_a: app.user(Role::Viewer).id,
            existing_b: Some(app.admin_b.id),
            body: Box::new(move |role| {
                json!({"email": format!("made-by-{}@a.test", role.as_str()), "password": "a long passw0rd here",
                       "role": "viewer", "hospital_id": a})
            }),
            patch: json!({"first_name": "Renamed"}),
        },
        Res {
            name: "hospitals",
            path: "/api/organizations/hospitals/",
            view: ViewDirectory,
            create: Some(ManageHospitals),
            update: Some(ManageHospitalData),
            delete: Some(ManageHospitals),
            existing_a: a,
            existing_b: Some(b),
            body: Box::new(move |role| json!({"code": code("H", role), "name_en": "New hospital"})),
            patch: json!({"city": "Jeddah"}),
        },
        Res {
            name: "organizations",
            path: "/api/organizations/organizations/",
            view: ViewDirectory,
            create: Some(ManageHospitals),
            update: Some(ManageHospitals),
            delete: Some(ManageHospitals),
            existing_a: org,
            existing_b: None,
            body: Box::new(move |role| json!({"code": code("O", role), "name_en": "New group"})),
            patch: json!({"address": "Riyadh"}),
        },
        Res {
            name: "staff",
            path: "/api/organizations/staff/",
            view: ViewDirectory,
            create: Some(ManageHospitalData),
            update: Some(ManageHospitalData),
            delete: Some(ManageHospitalData),
            existing_a: staff_a,
            existing_b: Some(staff_b),
            body: Box::new(move |role| {
                with_hospital(
                    role,
                    json!({"staff_type": "nurse", "first_name_en": "Nada", "employee_id": code("E", role)}),
                )
            }),
            patch: json!({"job_title_en": "Charge Nurse"}),
        },
        Res {
            name: "physicians",
            path: "/api/physicians/",
            view: ViewDirectory,
            create: None,
            update: None,
            delete: None,
            existing_a: staff_a,
            existing_b: Some(staff_b),
            body: Box::new(|_| Value::Null),
            patch: Value::Null,
        },
        Res {
            name: "patients",
            path: "/api/organizations/patients/",
            view: ViewPatients,
            create: Some(ManagePatients),
            update: Some(ManagePatients),
            delete: Some(ManagePatients),
            existing_a: patient_a,
            existing_b: Some(patient_b),
            body: Box::new(move |role| with_hospital(role, json!({"mrn": code("M", role), "first_name_en": "Faris"}))),
            patch: json!({"nationality": "Saudi"}),
        },
    ];

    let mut c = Checks::default();

    // Anonymous: every route is a 401.
    for res in &resources {
        let item = format!("{}{}/", res.path, res.existing_a);
        let mut routes = vec![(Method::GET, res.path.to_owned()), (Method::GET, item.clone())];
        if res.create.is_some() {
            routes.extend([(Method::POST, res.path.to_owned()), (Method::PATCH, item.clone()), (Method::DELETE, item)]);
        }
        for (method, path) in routes {
            let mut req = app.client.request(method.clone(), app.url(&path));
            if method != Method::GET && method != Method::DELETE {
                req = req.json(&json!({}));
            }
            let (status, body) = json(req.send().await.unwrap()).await;
            c.expect("anonymous", format!("{method} {path}"), status, StatusCode::UNAUTHORIZED, &body);
        }
    }
    // Routes outside the directory resources: (method, path, permission or none, status when allowed).
    let no_job = Uuid::now_v7();
    let routes: Vec<(Method, String, Option<Permission>, StatusCode)> = vec![
        (Method::GET, "/api/auth/me/".into(), None, StatusCode::OK),
        (Method::GET, "/api/audit/events/".into(), Some(ViewAudit), StatusCode::OK),
        (Method::GET, "/api/admin/jobs/".into(), Some(ManageSystem), StatusCode::OK),
        (Method::GET, "/api/admin/schedules/".into(), Some(ManageSystem), StatusCode::OK),
        (Method::POST, format!("/api/admin/jobs/{no_job}/retry/"), Some(ManageSystem), StatusCode::NOT_FOUND),
        (Method::GET, "/api/notifications/messages/".into(), Some(ViewPatients), StatusCode::OK),
        (Method::GET, format!("/api/notifications/messages/{no_job}/"), Some(ViewPatients), StatusCode::NOT_FOUND),
        (Method::POST, "/api/notifications/messages/".into(), Some(ManagePatients), StatusCode::BAD_REQUEST),
        (Method::GET, "/api/notifications/templates/".into(), Some(ViewPatients), StatusCode::OK),
        (Method::GET, format!("/api/notifications/templates/{no_job}/"), Some(ViewPatients), StatusCode::NOT_FOUND),
        (Method::POST, "/api/notifications/templates/".into(), Some(ManageSystem), StatusCode::BAD_REQUEST),
        (Method::PATCH, format!("/api/notifications/templates/{no_job}/"), Some(ManageSystem), StatusCode::NOT_FOUND),
        (Method::DELETE, format!("/api/notifications/templates/{no_job}/"), Some(ManageSystem), StatusCode::NOT_FOUND),
        (Method::POST, "/api/notifications/templates/preview/".into(), Some(ViewPatients), StatusCode::BAD_REQUEST),
        (Method::GET, "/api/notifications/opt-outs/".into(), Some(ViewPatients), StatusCode::OK),
        (Method::POST, "/api/notifications/opt-outs/".into(), Some(ManagePatients), StatusCode::BAD_REQUEST),
        (Method::DELETE, format!("/api/notifications/opt-outs/{no_job}/"), Some(ManagePatients), StatusCode::NOT_FOUND),
        (Method::GET, "/api/integrations/api-keys/".into(), Some(ViewEvents), StatusCode::OK),
        (Method::POST, "/api/integrations/api-keys/".into(), Some(ManageIntegrations), StatusCode::BAD_REQUEST),
        (
            Method::POST,
            format!("/api/integrations/api-keys/{no_job}/revoke/"),
            Some(ManageIntegrations),
            StatusCode::NOT_FOUND,
        ),
        (Method::POST, "/api/integrations/his/patient-data/".into(), Some(PostEvents), StatusCode::BAD_REQUEST),
    ];
    // POST and PATCH carry an empty object: a permitted caller gets the validation error.
    let send = |method: &Method, path: &str| {
        let req = app.client.request(method.clone(), app.url(path));
        if matches!(*method, Method::POST | Method::PATCH) { req.json(&json!({})) } else { req }
    };
    for (method, path, _, _) in &routes {
        let (status, body) = json(send(method, path).send().await.unwrap()).await;
        c.expect("anonymous", format!("{method} {path}"), status, StatusCode::UNAUTHORIZED, &body);
    }

    let mut logins: Vec<(Role, String)> = Role::ALL.iter().map(|r| (*r, email(*r))).collect();
    logins.push((Role::HospitalAdmin, ADMIN_B.to_owned()));
    for (role, login) in &logins {
        let role = *role;
        let token = app.token(login).await;
        let who = login.as_str();
        let in_b = login == ADMIN_B;
        let allowed = |p: Option<Permission>| p.is_some_and(|p| role.may(p));
        let status_if = |ok: bool, yes: StatusCode| if ok { yes } else { StatusCode::FORBIDDEN };

        for res in &resources {
            let name = res.name;
            // List.
            let (status, body) = json(app.get(res.path, &token).await).await;
            c.expect(who, format!("list {name}"), status, status_if(role.may(res.view), StatusCode::OK), &body);
            if status == StatusCode::OK {
                // Scope: a hospital user's list never holds another hospital's row.
                let foreign = if in_b { Some(res.existing_a) } else { res.existing_b };
                let listed = body["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| foreign.is_some_and(|f| r["id"] == f.to_string()));
                if role != Role::PxAdmin && listed && name != "organizations" {
                    c.failures.push(format!("{who} sees another hospital's {name} in the list"));
                }
            }
            if in_b {
                // Hospital B's admin: hospital A's rows are someone else's.
                if res.existing_b.is_some() {
                    let (status, body) = json(app.get(&format!("{}{}/", res.path, res.existing_a), &token).await).await;
                    let want = status_if(role.may(res.view), StatusCode::NOT_FOUND);
                    c.expect(who, format!("get hospital A's {name}"), status, want, &body);
                }
                continue;
            }
            // Create (then act on what was created), or act on an existing row.
            let mut target = res.existing_a;
            if res.create.is_some() {
                let (status, body) = json(app.post(res.path, &token, &(res.body)(role)).await).await;
                c.expect(
                    who,
                    format!("create {name}"),
                    status,
                    status_if(allowed(res.create), StatusCode::CREATED),
                    &body,
                );
                if status == StatusCode::CREATED {
                    target = id_of(&body);
                }
            }
            assert!(
                !allowed(res.delete) || allowed(res.create),
                "{name}: a role that may delete but not create needs a target of its own"
            );
            let item = format!("{}{target}/", res.path);
            let (status, body) = json(app.get(&item, &token).await).await;
            c.expect(who, format!("get {name}"), status, status_if(role.may(res.view), StatusCode::OK), &body);
            if res.update.is_some() {
                let (status, body) = json(app.patch(&item, &token, &res.patch).await).await;
                c.expect(who, format!("update {name}"), status, status_if(allowed(res.update), StatusCode::OK), &body);
            }
            if res.delete.is_some() {
                let (status, body) = json(app.delete(&item, &token).await).await;
                let want = status_if(allowed(res.delete), StatusCode::NO_CONTENT);
                c.expect(who, format!("delete {name}"), status, want, &body);
                if status == StatusCode::NO_CONTENT {
                    let (status, body) = json(app.get(&item, &token).await).await;
                    if name == "users" {
                        // Users are deactivated, never deleted: still there, inactive.
                        c.expect(who, format!("get deactivated {name}"), status, StatusCode::OK, &body);
                        if body["is_active"] != json!(false) {
                            c.failures.push(format!("{who}: deleted user still active: {body}"));
                        }
                    } else {
                        c.expect(who, format!("get deleted {name}"), status, StatusCode::NOT_FOUND, &body);
                    }
                }
            }
            // Another hospital's row: 404 for those who may view (the PX admin sees every hospital).
            if let Some(foreign) = res.existing_b {
                let item = format!("{}{foreign}/", res.path);
                let visible = role == Role::PxAdmin;
                let (status, body) = json(app.get(&item, &token).await).await;
                let want = if !role.may(res.view) {
                    StatusCode::FORBIDDEN
                } else if visible {
                    StatusCode::OK
                } else {
                    StatusCode::NOT_FOUND
                };
                c.expect(who, format!("get hospital B's {name}"), status, want, &body);
                if status == StatusCode::NOT_FOUND {
                    assert_detail(&body, "not_found");
                }
                if res.update.is_some() && allowed(res.update) && !visible {
                    let (status, body) = json(app.patch(&item, &token, &res.patch).await).await;
                    c.expect(who, format!("update hospital B's {name}"), status, StatusCode::NOT_FOUND, &body);
                }
                if res.delete.is_some() && allowed(res.delete) && !visible {
                    let (status, body) = json(app.delete(&item, &token).await).await;
                    c.expect(who, format!("delete hospital B's {name}"), status, StatusCode::NOT_FOUND, &body);
                }
            }
        }
        if in_b {
            continue;
        }
        for (method, path, permission, ok) in &routes {
            let resp = send(method, path).bearer_auth(&token).send().await.unwrap();
            let (status, body) = json(resp).await;
            let want = if permission.is_none_or(|p| role.may(p)) { *ok } else { StatusCode::FORBIDDEN };
            c.expect(who, format!("{method} {path}"), status, want, &body);
            if path == "/api/auth/me/" && body["role"] != role.as_str() {
                c.failures.push(format!("{who}: me says {}", body["role"]));
            }
        }
        let (status, body) = json(app.get(&format!("/api/physicians/{patient_a}/"), &token).await).await;
        let want = status_if(role.may(ViewDirectory), StatusCode::NOT_FOUND);
        c.expect(who, "get a non-staff id as a physician".into(), status, want, &body);
    }

    // Every 403 was audited as a denial.
    let denied = px360::domains::audit::model::audit_event::Entity::find()
        .filter(px360::domains::audit::model::audit_event::Column::Action.eq("permission_denied"))
        .count(app.db())
        .await
        .unwrap();
    assert!(denied > 0, "permission denials are audited");
    assert!(c.checks > 250, "the matrix ran ({} checks)", c.checks);
    assert!(c.failures.is_empty(), "{} of {} checks failed:\n{}", c.failures.len(), c.checks, c.failures.join("\n"));
}

#[tokio::test]
async fn a_px_admin_may_narrow_the_api_to_one_hospital_and_others_may_not_widen_it() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let (_, all) = json(app.get("/api/organizations/departments/", &px).await).await;
    assert_eq!(all["count"], 10);
    let (_, only_b) =
        json(app.get(&format!("/api/organizations/departments/?hospital_id={}", app.hospital_b.id), &px).await).await;
    assert_eq!(only_b["count"], 5);
    assert!(only_b["results"].as_array().unwrap().iter().all(|d| d["hospital_id"] == app.hospital_b.id.to_string()));
    // A hospital admin asking for hospital B still gets hospital A only.
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    let (_, mine) =
        json(app.get(&format!("/api/organizations/departments/?hospital_id={}", app.hospital_b.id), &ha).await).await;
    assert_eq!(mine["count"], 5);
    assert!(mine["results"].as_array().unwrap().iter().all(|d| d["hospital_id"] == app.hospital_a.id.to_string()));
}

#[tokio::test]
async fn nobody_grants_a_role_at_or_above_their_own() {
    let app = TestApp::spawn().await;
    let ha = app.token(&email(Role::HospitalAdmin)).await;
    for role in ["hospital_admin", "px_admin"] {
        let body = json!({"email": format!("new-{role}@a.test"), "password": "a long passw0rd here", "role": role});
        let (status, body) = json(app.post("/api/accounts/users/", &ha, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{role}: {body}");
        common::assert_fields(&body, &["role"]);
    }
    // Nor promote someone, nor see an account above their level.
    let viewer = app.user(Role::Viewer).id;
    let (status, body) =
        json(app.patch(&format!("/api/accounts/users/{viewer}/"), &ha, &json!({"role": "hospital_admin"})).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    common::assert_fields(&body, &["role"]);
    let px_id = app.user(Role::PxAdmin).id;
    let (status, body) = json(app.get(&format!("/api/accounts/users/{px_id}/"), &ha).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, list) = json(app.get("/api/accounts/users/", &ha).await).await;
    let roles: Vec<&str> = list["results"].as_array().unwrap().iter().map(|u| u["role"].as_str().unwrap()).collect();
    assert!(!roles.contains(&"px_admin"), "{roles:?}");
}

#[tokio::test]
async fn patient_pii_is_masked_below_px_coordinator() {
    let app = TestApp::spawn().await;
    let px = app.token(&email(Role::PxAdmin)).await;
    let id = create_as(&app, &px, "/api/organizations/patients/", patient_body(app.hospital_a.id, "MRN-1")).await;
    for (role, masked) in [(Role::PxCoordinator, false), (Role::DepartmentManager, false), (Role::Viewer, true)] {
        let token = app.token(&email(role)).await;
        let (status, body) = json(app.get(&format!("/api/organizations/patients/{id}/"), &token).await).await;
        assert_eq!(status, StatusCode::OK, "{role:?}: {body}");
        let (phone, national_id) = (body["phone"].as_str().unwrap(), body["national_id"].as_str().unwrap());
        if masked {
            assert!(phone.ends_with("4567") && phone.starts_with('•') && !phone.contains("966"), "{role:?}: {phone}");
            assert!(national_id.ends_with("5678") && national_id.starts_with('•'), "{role:?}: {national_id}");
            // Nor can a masked role find the patient by the hidden value.
            let (_, found) = json(app.get("/api/organizations/patients/?search=1012345678", &token).await).await;
            assert_eq!(found["count"], 0, "{role:?} searched a masked national id: {found}");
        } else {
            assert_eq!(phone, "+966501234567", "{role:?}");
            assert_eq!(national_id, "1012345678", "{role:?}");
        }
    }
}

#[tokio::test]
async fn forms_posted_without_a_csrf_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let before = app.departments().await;
    let users_before = app.all_users().await;
    let emr = app.department_id(app.hospital_a.id, "EMR-001").await;
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/organizations/departments/new/".into(), vec![("code", "CSRF-1"), ("name_en", "Forged")]),
        (format!("/organizations/departments/{emr}/edit/"), vec![("code", "EMR-001"), ("name_en", "Forged")]),
        (format!("/organizations/departments/{emr}/delete/"), vec![]),
        ("/i18n/set-language/".into(), vec![("language", "en")]),
        ("/logout/".into(), vec![]),
    ];
    for (path, fields) in &forms {
        for token in [None, Some("wrong"), Some("")] {
            let mut fields = fields.clone();
            if let Some(t) = token {
                fields.push(("csrf_token", t));
            }
            let resp = client.post(app.url(path)).form(&fields).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "POST {path} with csrf {token:?}");
        }
    }
    assert_eq!(app.departments().await, before);
    assert_eq!(app.all_users().await, users_before, "language unchanged");
    // The session survived the forged logout, and the real token works.
    let home = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let resp = client
        .post(app.url("/organizations/departments/new/"))
        .form(&[("code", "CSRF-1"), ("name_en", "Real"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_api_called_with_a_session_cookie_needs_the_csrf_header_to_write() {
    let app = TestApp::spawn().await;
    let (client, csrf) = app.login_page_session(&email(Role::HospitalAdmin)).await;
    let before = app.departments().await;
    let path = app.url("/api/organizations/departments/");
    let body = json!({"code": "XHR-1", "name_en": "From a script"});
    let (status, resp) = json(client.post(&path).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_detail(&resp, "permission_denied");
    let (status, _) = json(client.post(&path).header("x-csrf-token", "nope").json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.departments().await, before);
    // Reading needs no token; writing with it works.
    assert_eq!(client.get(&path).send().await.unwrap().status(), StatusCode::OK);
    let (status, resp) = json(client.post(&path).header("x-csrf-token", &csrf).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{resp}");
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_token() {
    let app = TestApp::spawn().await;
    let client = cookie_client();
    let resp = client
        .post(app.url("/login/"))
        .form(&[("email", email(Role::Viewer).as_str()), ("password", common::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        client.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "no session was started"
    );
}

#[tokio::test]
async fn pages_visited_without_a_session_redirect_to_login() {
    let app = TestApp::spawn().await;
    let emr = app.department_id(app.hospital_a.id, "EMR-001").await;
    let mut pages = vec![
        "/".to_owned(),
        "/audit/".into(),
        "/account/password/".into(),
        "/accounts/users/".into(),
        "/accounts/users/new/".into(),
        format!("/organizations/departments/{emr}/"),
        format!("/organizations/departments/{emr}/edit/"),
    ];
    for key in ["departments", "hospitals", "staff", "patients", "organizations"] {
        pages.push(format!("/organizations/{key}/"));
        pages.push(format!("/organizations/{key}/new/"));
    }
    for page in pages {
        let resp = app.client.get(app.url(&page)).send().await.unwrap();
        assert!(resp.status().is_redirection(), "{page}: {}", resp.status());
        let to = location(&resp);
        assert!(to.starts_with("/login/"), "{page} → {to}");
        assert!(to.contains("next="), "{page} → {to}");
    }
    // A stale or forged session cookie is no session either.
    let resp = app
        .client
        .get(app.url("/organizations/departments/"))
        .header("cookie", "px360_session=forged")
        .send()
        .await
        .unwrap();
    assert!(location(&resp).starts_with("/login/"));
}

#[tokio::test]
async fn directory_pages_follow_the_access_matrix() {
    let app = TestApp::spawn().await;
    let pages: [(&str, Permission); 8] = [
        ("/organizations/departments/", Permission::ViewDirectory),
        ("/organizations/organizations/", Permission::ViewDirectory),
        ("/admin/jobs/", Permission::ManageSystem),
        ("/organizations/hospitals/", Permission::ViewDirectory),
        ("/organizations/staff/", Permission::ViewDirectory),
        ("/organizations/patients/", Permission::ViewPatients),
        ("/accounts/users/", Permission::ManageUsers),
        ("/audit/", Permission::ViewAudit),
    ];
    for role in Role::ALL {
        let (client, _) = if role == Role::SourceUser {
            // The source user has no command center: log in and stay on the redirect.
            (source_session(&app).await, String::new())
        } else {
            app.login_page_session(&email(role)).await
        };
        for (page, permission) in pages {
            let resp = client.get(app.url(page)).send().await.unwrap();
            let status = resp.status();
            if role.may(permission) {
                assert_eq!(status, StatusCode::OK, "{role:?} {page}");
            } else {
                assert!(
                    status == StatusCode::FORBIDDEN || status.is_redirection(),
                    "{role:?} {page}: denied pages answer 403 or redirect, got {status}"
                );
            }
        }
    }
}

/// Logs the source user in through the form without requiring the home page to answer 200.
async fn source_session(app: &TestApp) -> reqwest::Client {
    let client = cookie_client();
    let html = client.get(app.url("/login/")).send().await.unwrap().text().await.unwrap();
    let csrf = common::hidden_field(&html, "csrf_token").unwrap();
    let login = email(Role::SourceUser);
    let resp = client
        .post(app.url("/login/"))
        .form(&[("email", login.as_str()), ("password", common::PASSWORD), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    client
}
