//! Who the person is: the rule for identities a platform vouches for.

use std::collections::HashSet;

/// An email a platform returns counts as verified only for members of a workspace (or
/// server) the configuration trusts: anyone can create a workspace and put any email
/// in their profile there.
pub fn vouched_email(
    workspace: Option<&str>,
    trusted: &HashSet<String>,
    email: Option<&str>,
) -> Option<String> {
    let trusted = workspace.is_some_and(|w| trusted.contains(w));
    email
        .filter(|e| trusted && !e.trim().is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trusted_workspaces_vouch() {
        let trusted = HashSet::from(["T1".to_string()]);
        let email = Some("ada@example.com");
        assert_eq!(vouched_email(Some("T1"), &trusted, email).as_deref(), email);
        assert_eq!(vouched_email(Some("T2"), &trusted, email), None);
        assert_eq!(vouched_email(None, &trusted, email), None);
        assert_eq!(vouched_email(Some("T1"), &trusted, None), None);
        assert_eq!(vouched_email(Some("T1"), &trusted, Some(" ")), None);
    }
}
