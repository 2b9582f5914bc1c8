//! Overrides installed at start-up are what the whole process says. (A test binary of
//! its own: installing is once per process.)

use std::collections::BTreeMap;

use relaydesk_core::i18n;
use relaydesk_core::text::Lang;

#[test]
fn installed_overrides_are_the_sentences_of_the_process() {
    let mut overrides = BTreeMap::new();
    overrides.insert(
        Lang::Ko,
        BTreeMap::from([(
            "ticket_opened".to_string(),
            "{queue} 팀 티켓 #{number|을} 접수했어요.".to_string(),
        )]),
    );
    overrides.insert(
        Lang::En,
        BTreeMap::from([("card_unverified".to_string(), "not verified".to_string())]),
    );

    // A mistake installs nothing.
    let mut wrong = overrides.clone();
    wrong.insert(
        Lang::En,
        BTreeMap::from([("card_unverified".to_string(), "{who}".to_string())]),
    );
    let problems = i18n::install_overrides(&wrong).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("messages.en.card_unverified: `{who}`"));

    i18n::install_overrides(&overrides).expect("installed");
    let ko = i18n::catalogue(Lang::Ko);
    assert_eq!(
        ko.ticket_opened(2, "billing"),
        "billing 팀 티켓 #2를 접수했어요."
    );
    assert_eq!(
        ko.ticket_opened(10, "billing"),
        "billing 팀 티켓 #10을 접수했어요."
    );
    assert_eq!(i18n::agents().card_unverified(), "not verified");
    assert_eq!(
        i18n::agents().claimed_by("Grace"),
        "Claimed by Grace.",
        "the rest as in messages/en.toml"
    );

    // Once only: a second time is refused, and changes nothing.
    let problems = i18n::install_overrides(&BTreeMap::new()).unwrap_err();
    assert!(problems[0].contains("already in use"), "{problems:?}");
    assert_eq!(i18n::agents().card_unverified(), "not verified");
}
