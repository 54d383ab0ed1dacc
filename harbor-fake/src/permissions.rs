//! Harbor's RBAC policy catalogue, for `GET /users/current/permissions`.
//!
//! Each role is a list of `(resource, action)` pairs; the resource `""` is the project
//! itself. Harbor answers with the policies of the scope's namespace that the caller may
//! use, so the project list is the union of all roles (the project admin's 75) and the
//! system list has 53 entries.

use crate::model::ProjectRole;

type Policies = &'static [(&'static str, &'static str)];

pub(crate) const PROJECT_ADMIN: Policies = &[
    ("", "read"),
    ("", "update"),
    ("", "delete"),
    ("member", "create"),
    ("member", "read"),
    ("member", "update"),
    ("member", "delete"),
    ("member", "list"),
    ("metadata", "create"),
    ("metadata", "read"),
    ("metadata", "update"),
    ("metadata", "delete"),
    ("log", "list"),
    ("label", "create"),
    ("label", "read"),
    ("label", "update"),
    ("label", "delete"),
    ("label", "list"),
    ("quota", "read"),
    ("repository", "create"),
    ("repository", "read"),
    ("repository", "update"),
    ("repository", "delete"),
    ("repository", "list"),
    ("repository", "pull"),
    ("repository", "push"),
    ("tag-retention", "create"),
    ("tag-retention", "read"),
    ("tag-retention", "update"),
    ("tag-retention", "delete"),
    ("tag-retention", "list"),
    ("tag-retention", "operate"),
    ("immutable-tag", "create"),
    ("immutable-tag", "update"),
    ("immutable-tag", "delete"),
    ("immutable-tag", "list"),
    ("configuration", "read"),
    ("configuration", "update"),
    ("robot", "create"),
    ("robot", "read"),
    ("robot", "update"),
    ("robot", "delete"),
    ("robot", "list"),
    ("notification-policy", "create"),
    ("notification-policy", "update"),
    ("notification-policy", "delete"),
    ("notification-policy", "list"),
    ("notification-policy", "read"),
    ("scan", "create"),
    ("scan", "read"),
    ("scan", "stop"),
    ("sbom", "create"),
    ("sbom", "stop"),
    ("sbom", "read"),
    ("scanner", "read"),
    ("scanner", "create"),
    ("artifact", "create"),
    ("artifact", "read"),
    ("artifact", "delete"),
    ("artifact", "list"),
    ("artifact-addition", "read"),
    ("tag", "list"),
    ("tag", "create"),
    ("tag", "delete"),
    ("accessory", "list"),
    ("artifact-label", "create"),
    ("artifact-label", "delete"),
    ("preheat-policy", "create"),
    ("preheat-policy", "read"),
    ("preheat-policy", "update"),
    ("preheat-policy", "delete"),
    ("preheat-policy", "list"),
    ("export-cve", "create"),
    ("export-cve", "read"),
    ("export-cve", "list"),
];

const MAINTAINER: Policies = &[
    ("", "read"),
    ("member", "read"),
    ("member", "list"),
    ("metadata", "read"),
    ("quota", "read"),
    ("label", "create"),
    ("label", "read"),
    ("label", "update"),
    ("label", "delete"),
    ("label", "list"),
    ("repository", "create"),
    ("repository", "read"),
    ("repository", "update"),
    ("repository", "delete"),
    ("repository", "list"),
    ("repository", "push"),
    ("repository", "pull"),
    ("tag-retention", "create"),
    ("tag-retention", "read"),
    ("tag-retention", "update"),
    ("tag-retention", "delete"),
    ("tag-retention", "list"),
    ("tag-retention", "operate"),
    ("accessory", "list"),
    ("immutable-tag", "create"),
    ("immutable-tag", "update"),
    ("immutable-tag", "delete"),
    ("immutable-tag", "list"),
    ("configuration", "read"),
    ("robot", "read"),
    ("robot", "list"),
    ("notification-policy", "read"),
    ("notification-policy", "list"),
    ("scan", "create"),
    ("scan", "read"),
    ("scan", "stop"),
    ("sbom", "create"),
    ("sbom", "stop"),
    ("sbom", "read"),
    ("scanner", "read"),
    ("artifact", "create"),
    ("artifact", "read"),
    ("artifact", "delete"),
    ("artifact", "list"),
    ("artifact-addition", "read"),
    ("tag", "list"),
    ("tag", "create"),
    ("tag", "delete"),
    ("artifact-label", "create"),
    ("artifact-label", "delete"),
    ("export-cve", "create"),
    ("export-cve", "read"),
    ("export-cve", "list"),
];

const DEVELOPER: Policies = &[
    ("", "read"),
    ("member", "read"),
    ("member", "list"),
    ("label", "read"),
    ("label", "list"),
    ("quota", "read"),
    ("repository", "create"),
    ("repository", "read"),
    ("repository", "update"),
    ("repository", "list"),
    ("repository", "push"),
    ("repository", "pull"),
    ("tag-retention", "create"),
    ("tag-retention", "read"),
    ("tag-retention", "update"),
    ("tag-retention", "delete"),
    ("tag-retention", "list"),
    ("tag-retention", "operate"),
    ("configuration", "read"),
    ("robot", "read"),
    ("robot", "list"),
    ("scan", "read"),
    ("sbom", "read"),
    ("scanner", "read"),
    ("artifact", "create"),
    ("artifact", "read"),
    ("artifact", "list"),
    ("artifact-addition", "read"),
    ("tag", "list"),
    ("tag", "create"),
    ("accessory", "list"),
    ("artifact-label", "create"),
    ("artifact-label", "delete"),
    ("export-cve", "create"),
    ("export-cve", "read"),
    ("export-cve", "list"),
];

const GUEST: Policies = &[
    ("", "read"),
    ("member", "read"),
    ("member", "list"),
    ("label", "read"),
    ("label", "list"),
    ("quota", "read"),
    ("repository", "read"),
    ("repository", "list"),
    ("repository", "pull"),
    ("configuration", "read"),
    ("robot", "read"),
    ("robot", "list"),
    ("scan", "read"),
    ("sbom", "read"),
    ("scanner", "read"),
    ("tag", "list"),
    ("accessory", "list"),
    ("artifact", "read"),
    ("artifact", "list"),
    ("artifact-addition", "read"),
];

const LIMITED_GUEST: Policies = &[
    ("", "read"),
    ("quota", "read"),
    ("repository", "list"),
    ("repository", "read"),
    ("repository", "pull"),
    ("configuration", "read"),
    ("scan", "read"),
    ("sbom", "read"),
    ("scanner", "read"),
    ("tag", "list"),
    ("accessory", "list"),
    ("artifact", "read"),
    ("artifact", "list"),
    ("artifact-addition", "read"),
];

/// What an authenticated non-member may do in a public project.
pub(crate) const PUBLIC_NON_MEMBER: Policies = &[
    ("", "read"),
    ("label", "read"),
    ("label", "list"),
    ("repository", "list"),
    ("repository", "pull"),
    ("scan", "read"),
    ("scanner", "read"),
    ("tag", "list"),
    ("artifact", "read"),
    ("artifact", "list"),
    ("artifact-addition", "read"),
    ("accessory", "list"),
];

pub(crate) const SYSTEM: Policies = &[
    ("catalog", "read"),
    ("audit-log", "list"),
    ("project", "create"),
    ("project", "read"),
    ("project", "update"),
    ("project", "delete"),
    ("project", "list"),
    ("user", "create"),
    ("user", "read"),
    ("user", "update"),
    ("user", "delete"),
    ("user", "list"),
    ("user-group", "create"),
    ("user-group", "read"),
    ("user-group", "update"),
    ("user-group", "delete"),
    ("user-group", "list"),
    ("registry", "create"),
    ("registry", "read"),
    ("registry", "update"),
    ("registry", "delete"),
    ("registry", "list"),
    ("replication", "create"),
    ("replication", "read"),
    ("replication", "update"),
    ("replication", "list"),
    ("replication", "delete"),
    ("distribution", "create"),
    ("distribution", "read"),
    ("distribution", "update"),
    ("distribution", "delete"),
    ("distribution", "list"),
    ("garbage-collection", "create"),
    ("garbage-collection", "read"),
    ("garbage-collection", "update"),
    ("garbage-collection", "delete"),
    ("garbage-collection", "list"),
    ("scan-all", "create"),
    ("scan-all", "read"),
    ("scan-all", "update"),
    ("scan-all", "delete"),
    ("scan-all", "list"),
    ("scan-all", "stop"),
    ("system-volumes", "read"),
    ("ldap-user", "create"),
    ("ldap-user", "list"),
    ("configuration", "read"),
    ("configuration", "update"),
    ("jobservice-monitor", "read"),
    ("jobservice-monitor", "list"),
    ("jobservice-monitor", "stop"),
    ("security-hub", "read"),
    ("security-hub", "list"),
];

/// The policies of a project role.
pub(crate) fn role_policies(role: ProjectRole) -> Policies {
    match role {
        ProjectRole::ProjectAdmin => PROJECT_ADMIN,
        ProjectRole::Maintainer => MAINTAINER,
        ProjectRole::Developer => DEVELOPER,
        ProjectRole::Guest => GUEST,
        ProjectRole::LimitedGuest => LIMITED_GUEST,
    }
}

/// Whether a policy list contains `(resource, action)`.
pub(crate) fn contains(policies: Policies, resource: &str, action: &str) -> bool {
    policies.iter().any(|(r, a)| *r == resource && *a == action)
}

/// The namespace a `scope` parameter names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Namespace {
    Project(i64),
    System,
}

/// Harbor's `NamespaceFromResource`: `/project/<digits>` or anything starting with `/system`.
pub(crate) fn namespace_of(scope: &str) -> Option<Namespace> {
    if let Some(rest) = scope.strip_prefix("/project/") {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return digits.parse().ok().map(Namespace::Project);
    }
    scope.starts_with("/system").then_some(Namespace::System)
}

/// The full resource path of a policy in a namespace.
pub(crate) fn resource_path(namespace: Namespace, resource: &str) -> String {
    match (namespace, resource) {
        (Namespace::Project(id), "") => format!("/project/{id}"),
        (Namespace::Project(id), sub) => format!("/project/{id}/{sub}"),
        (Namespace::System, sub) => format!("/system/{sub}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_sizes_match_harbor() {
        assert_eq!(PROJECT_ADMIN.len(), 75);
        assert_eq!(role_policies(ProjectRole::Maintainer).len(), 53);
        assert_eq!(role_policies(ProjectRole::Developer).len(), 36);
        assert_eq!(role_policies(ProjectRole::Guest).len(), 20);
        assert_eq!(role_policies(ProjectRole::LimitedGuest).len(), 14);
        assert_eq!(SYSTEM.len(), 53);
    }

    #[test]
    fn every_role_is_within_the_project_catalogue() {
        for role in [
            ProjectRole::Maintainer,
            ProjectRole::Developer,
            ProjectRole::Guest,
            ProjectRole::LimitedGuest,
        ] {
            for (resource, action) in role_policies(role) {
                assert!(
                    contains(PROJECT_ADMIN, resource, action),
                    "{resource}:{action}"
                );
            }
        }
        for (resource, action) in PUBLIC_NON_MEMBER {
            assert!(
                contains(PROJECT_ADMIN, resource, action),
                "{resource}:{action}"
            );
        }
    }

    #[test]
    fn scopes_name_namespaces() {
        assert_eq!(namespace_of("/project/12/"), Some(Namespace::Project(12)));
        assert_eq!(namespace_of("/project/12x"), Some(Namespace::Project(12)));
        assert_eq!(namespace_of("/systemx"), Some(Namespace::System));
        assert_eq!(namespace_of("/project/x"), None);
        assert_eq!(namespace_of(""), None);
    }
}
