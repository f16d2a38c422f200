//! What a notice says, in the recipient's language.

use hdab_i18n::{Arg, Lang};
use serde::{Deserialize, Serialize};

/// The events people are told about.
/// Webhooks name them as [`NoticeKind::as_str`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NoticeKind {
    /// An application was received (submitted, or submitted again after completion).
    #[serde(rename = "application.received")]
    ApplicationReceived,
    /// An application was returned to the applicant for completion.
    #[serde(rename = "application.returned")]
    ApplicationReturned,
    /// An application was approved or rejected.
    #[serde(rename = "application.decided")]
    ApplicationDecided,
    /// Förvaltningslagen (2017:900) § 11: the decision is late enough that the applicant is
    /// told, with the reason.
    #[serde(rename = "case.delayed")]
    CaseDelayed,
    /// The decision deadline is near (to the case's officer).
    #[serde(rename = "case.deadline_near")]
    DeadlineNear,
    /// A dataset description's yearly confirmation is due soon (to the holder).
    #[serde(rename = "description.confirmation_due")]
    ConfirmationDue,
    /// A dataset description's yearly confirmation is overdue (to the holder).
    #[serde(rename = "description.confirmation_overdue")]
    ConfirmationOverdue,
    /// Results were released from the SPE (to the requester).
    #[serde(rename = "output.released")]
    OutputReleased,
    /// A permit needs a holder's data: the order, with its due date (to the holder).
    #[serde(rename = "order.placed")]
    OrderPlaced,
    /// A data order passed its due date unfulfilled (to the holder).
    #[serde(rename = "order.overdue")]
    OrderOverdue,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 10] = [
        NoticeKind::ApplicationReceived,
        NoticeKind::ApplicationReturned,
        NoticeKind::ApplicationDecided,
        NoticeKind::CaseDelayed,
        NoticeKind::DeadlineNear,
        NoticeKind::ConfirmationDue,
        NoticeKind::ConfirmationOverdue,
        NoticeKind::OutputReleased,
        NoticeKind::OrderPlaced,
        NoticeKind::OrderOverdue,
    ];

    /// The name in events and webhooks (`application.received`).
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::ApplicationReceived => "application.received",
            NoticeKind::ApplicationReturned => "application.returned",
            NoticeKind::ApplicationDecided => "application.decided",
            NoticeKind::CaseDelayed => "case.delayed",
            NoticeKind::DeadlineNear => "case.deadline_near",
            NoticeKind::ConfirmationDue => "description.confirmation_due",
            NoticeKind::ConfirmationOverdue => "description.confirmation_overdue",
            NoticeKind::OutputReleased => "output.released",
            NoticeKind::OrderPlaced => "order.placed",
            NoticeKind::OrderOverdue => "order.overdue",
        }
    }

    pub fn parse(text: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    fn message(self) -> &'static str {
        match self {
            NoticeKind::ApplicationReceived => "notice-application-received",
            NoticeKind::ApplicationReturned => "notice-application-returned",
            NoticeKind::ApplicationDecided => "notice-application-decided",
            NoticeKind::CaseDelayed => "notice-case-delayed",
            NoticeKind::DeadlineNear => "notice-deadline-near",
            NoticeKind::ConfirmationDue => "notice-confirmation-due",
            NoticeKind::ConfirmationOverdue => "notice-confirmation-overdue",
            NoticeKind::OutputReleased => "notice-output-released",
            NoticeKind::OrderPlaced => "notice-order-placed",
            NoticeKind::OrderOverdue => "notice-order-overdue",
        }
    }
}

/// An event as webhooks receive it, and what e-mails are worded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The event's id: a receiver that sees it twice has seen it once.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoticeKind,
    /// When it happened (RFC 3339).
    pub at: String,
    /// The case, dataset or output request it is about.
    pub object: String,
    /// Its registration number (diarienummer), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
    /// Its title (an application's, a dataset's).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// A state or decision (`approve`, `reject`), a due date, a permit id: what the kind needs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Where to read more (hdab's page for it), when hdab's address is known.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub link: String,
}

impl Notice {
    /// The e-mail's subject and text in `lang`.
    pub fn email(&self, lang: Lang) -> (String, String) {
        let number = self
            .registration
            .clone()
            .unwrap_or_else(|| self.object.clone());
        let detail = match (self.kind, self.detail.as_str()) {
            (NoticeKind::ApplicationDecided, "approve") => lang.text("notice-decision-approve"),
            (NoticeKind::ApplicationDecided, "reject") => lang.text("notice-decision-reject"),
            (_, d) => d.to_string(),
        };
        let args: [(&str, Arg<'_>); 4] = [
            ("number", number.as_str().into()),
            ("title", self.title.as_str().into()),
            ("detail", detail.as_str().into()),
            ("object", self.object.as_str().into()),
        ];
        let subject = lang.text_with(&format!("{}-subject", self.kind.message()), &args);
        let mut body = lang.text_with(&format!("{}-body", self.kind.message()), &args);
        if !self.link.is_empty() {
            body.push_str("\n\n");
            body.push_str(&lang.text_with("notice-link", &[("link", self.link.as_str().into())]));
        }
        body.push_str("\n\n");
        body.push_str(&lang.text("notice-footer"));
        (subject, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: NoticeKind) -> Notice {
        Notice {
            id: "e1".into(),
            kind,
            at: "2026-12-07T10:00:00Z".into(),
            object: "A-2026-0003".into(),
            registration: Some("2026/00003".into()),
            title: "Återinläggningar".into(),
            detail: "approve".into(),
            link: "https://hdab.example/applications/A-2026-0003".into(),
        }
    }

    #[test]
    fn every_notice_is_worded_in_both_languages() {
        for kind in NoticeKind::ALL {
            for lang in Lang::ALL {
                let (subject, body) = notice(kind).email(lang);
                assert!(!subject.contains("notice-"), "{kind:?} {lang:?}: {subject}");
                assert!(!body.contains("notice-"), "{kind:?} {lang:?}: {body}");
                assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
                assert_eq!(
                    serde_json::to_value(kind).ok(),
                    Some(serde_json::Value::String(kind.as_str().into()))
                );
            }
        }
        let (sv, _) = notice(NoticeKind::ApplicationReceived).email(Lang::Sv);
        assert!(sv.contains("2026/00003") && sv.contains("mottagen"), "{sv}");
        let (en, body) = notice(NoticeKind::ApplicationDecided).email(Lang::En);
        assert!(en.contains("2026/00003"), "{en}");
        assert!(body.contains("approved"), "{body}");
    }
}
