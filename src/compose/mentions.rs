//! Mention markers: DingTalk notifies a mentioned person only when `@<mobile>` or `@<userId>`
//! is also in the content (`shared/reference/dingtalk.md` §1.3), so missing markers are added.

/// Who a text or markdown message mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// Mobile numbers, already validated.
    pub mobiles: Vec<String>,
    /// DingTalk user ids, already validated.
    pub user_ids: Vec<String>,
    /// `@all`.
    pub all: bool,
}

impl Mentions {
    /// The markers (`@13800000000`, `@user1`) that `text` lacks, each once, in argument order.
    pub fn missing_markers(&self, text: &str) -> Vec<String> {
        let mut missing: Vec<String> = Vec::new();
        for id in self.mobiles.iter().chain(&self.user_ids) {
            let marker = format!("@{id}");
            if !has_marker(text, &marker) && !missing.contains(&marker) {
                missing.push(marker);
            }
        }
        missing
    }
}

/// Whether `marker` stands in `text` as a whole word: `@u1` is not in `@u12`.
fn has_marker(text: &str, marker: &str) -> bool {
    text.match_indices(marker).any(|(at, _)| {
        text[at + marker.len()..]
            .chars()
            .next()
            .is_none_or(|next| !(next.is_alphanumeric() || next == '_' || next == '-'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentions(mobiles: &[&str], user_ids: &[&str]) -> Mentions {
        Mentions {
            mobiles: mobiles.iter().map(|s| s.to_string()).collect(),
            user_ids: user_ids.iter().map(|s| s.to_string()).collect(),
            all: false,
        }
    }

    #[test]
    fn only_missing_markers_are_added_once() {
        let m = mentions(&["13800000000", "13900000000", "13800000000"], &["u1"]);
        assert_eq!(
            m.missing_markers("ping @13800000000 please"),
            ["@13900000000", "@u1"]
        );
        assert!(m.missing_markers("@13800000000@13900000000 @u1").is_empty());
    }

    #[test]
    fn a_longer_id_does_not_count_as_the_marker() {
        let m = mentions(&["+852-1234567"], &["u1"]);
        assert_eq!(
            m.missing_markers("@+852-12345678 and @u12"),
            ["@+852-1234567", "@u1"]
        );
        assert!(m.missing_markers("@+852-1234567, @u1.").is_empty());
    }
}
