//! Settings → Users (owners): the organisation's users with their roles, adding one (a
//! generated password shown once), changing a role, and disabling a user behind a confirmation.

use leptos::prelude::*;

use crate::data::{Notice, Viewer};
use crate::layout::document;

pub const PATH: &str = "/settings/users";

/// The roles, as (value, what it may do), strongest first.
pub const ROLES: [(&str, &str); 4] = [
    ("owner", "everything, users included"),
    (
        "admin",
        "reads spend; manages usage providers, telemetry keys, prices and API tokens; reads the audit log",
    ),
    ("finance", "reads spend, writes off variance and exports"),
    ("viewer", "reads spend"),
];

/// A user as listed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub created: String,
    /// When the user was disabled (UTC), if they were.
    pub disabled: Option<String>,
    /// The viewer themself: no controls (an owner cannot lock themself out here).
    pub is_viewer: bool,
}

fn role_options(selected: &str) -> impl IntoView + use<> {
    ROLES
        .iter()
        .map(|(value, _)| {
            let selected = *value == selected;
            view! { <option value=*value selected=selected>{*value}</option> }
        })
        .collect_view()
}

#[component]
fn Created(email: String, password: String) -> impl IntoView {
    view! {
        <section class="new-key" aria-labelledby="new-user-title">
            <h2 id="new-user-title">"Added " {email} " — password shown once"</h2>
            <p>"Give it to them over a channel you trust; they sign in at /login with it."</p>
            <p><label for="new-password">"Password"</label></p>
            <input id="new-password" type="text" readonly value=password size="40" data-copy=""/>
        </section>
    }
}

fn user_row(user: UserRow) -> impl IntoView {
    let controls = if user.is_viewer {
        view! { <td colspan="2">"you"</td> }.into_any()
    } else if user.disabled.is_some() {
        view! { <td colspan="2">"—"</td> }.into_any()
    } else {
        let select_id = format!("role-{}", user.id);
        view! {
            <td>
                <form method="post" action=format!("{PATH}/{}/role", user.id) class="inline">
                    <label for=select_id.clone() class="visually-hidden">
                        "Role of " {user.email.clone()}
                    </label>
                    <select id=select_id name="role">{role_options(&user.role)}</select>
                    " "
                    <button type="submit">"Change role"</button>
                </form>
            </td>
            <td>
                <a href=format!("{PATH}/{}/disable", user.id) class="danger">"Disable…"</a>
            </td>
        }
        .into_any()
    };
    let status = match user.disabled {
        Some(when) => view! { <span class="badge removed">"Disabled " {when}</span> }.into_any(),
        None => view! { <span class="badge active">"Active"</span> }.into_any(),
    };
    view! {
        <tr>
            <th scope="row">{user.email}</th>
            <td>{user.role}</td>
            <td>{status}</td>
            <td>{user.created}</td>
            {controls}
        </tr>
    }
}

/// The page; `created` is a user just added with their generated password, shown once.
pub fn page(
    viewer: Viewer,
    users: Vec<UserRow>,
    created: Option<(String, String)>,
    notice: Option<Notice>,
) -> String {
    let created =
        created.map(|(email, password)| view! { <Created email=email password=password/> });
    let rows = users.into_iter().map(user_row).collect_view();
    let roles = ROLES
        .iter()
        .map(|(role, can)| view! { <li><strong>{*role}</strong> ": " {*can}</li> })
        .collect_view();
    let content = view! {
        <h1>"Users"</h1>
        {created}
        <table>
            <thead>
                <tr>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Added (UTC)"</th>
                    <th scope="col">"Change role"</th>
                    <th scope="col">"Disable"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <section aria-labelledby="add-user-title">
            <h2 id="add-user-title">"Add a user"</h2>
            <form method="post" action=PATH class="stacked">
                <label for="user-email">"Email"</label>
                <input id="user-email" type="email" name="email" required maxlength="254" autocomplete="off"/>
                <label for="user-role">"Role"</label>
                <select id="user-role" name="role">{role_options("viewer")}</select>
                <label for="user-password">"Password (leave empty to generate one)"</label>
                <input id="user-password" type="password" name="password" autocomplete="new-password"/>
                <button type="submit">"Add user"</button>
            </form>
            <ul class="hint">{roles}</ul>
        </section>
    }
    .into_any();
    document("Users", viewer, PATH, notice, content)
}

/// The confirmation before disabling a user.
pub fn disable_page(viewer: Viewer, user: UserRow) -> String {
    let content = view! {
        <h1>"Disable " {user.email.clone()} "?"</h1>
        <p>
            "They are signed out everywhere and their API tokens stop working. What they did \
             stays in the audit log, and their account is kept."
        </p>
        <form method="post" action=format!("{PATH}/{}/disable", user.id)>
            <button type="submit" class="danger">"Disable"</button>
            " "
            <a href=PATH>"Keep them"</a>
        </form>
    }
    .into_any();
    document("Disable user", viewer, PATH, None, content)
}
