//! What to do about a DingTalk `errcode`, in words a model (or its user) can act on.
//!
//! Codes and meanings from `shared/reference/dingtalk.md` §1.7. DingTalk advises branching on
//! `errcode`, not `errmsg`; 310000 is the exception, because one code covers four different
//! security failures and only the `errmsg` tells which.

/// The hint for an errcode, if it is one users are known to hit.
pub fn hint(errcode: i64, errmsg: &str) -> Option<&'static str> {
    Some(match errcode {
        300001 | 300005 | 400101 => {
            "The access token is wrong. Set DINGTALK_BOT_ACCESS_TOKEN to the robot's token or to the \
             whole webhook URL from the robot's settings (both are accepted); 300005 is also \
             returned for robots in external groups. Retrying will not help."
        }
        310000 => security_hint(errmsg),
        130101 | 410100 => {
            "The robot sent more than 20 messages in a minute and DingTalk is throttling it for 10 \
             minutes. Wait 10 minutes before sending again, and combine updates into fewer messages."
        }
        460101 | 101002 => {
            "The request body is over DingTalk's 20,000-byte limit (UTF-8 bytes; a Chinese \
             character is 3 bytes). Shorten the message or split it into several messages."
        }
        400013 => "The group has been dissolved; this robot can no longer post anywhere.",
        400102 => "A group admin has disabled this robot; ask them to enable it again.",
        400106 => "The robot no longer exists in the group; ask a group admin to add a new one.",
        430101 => {
            "DingTalk's content moderation rejected an unsafe external link; remove or replace the link."
        }
        430102..=430104 => {
            "DingTalk's content moderation rejected the content; rephrase it and send again."
        }
        40035 | 43004 => {
            "DingTalk could not read the request body as JSON. This is a bug in dingtalk-mcp; \
             please report it."
        }
        -1 => "DingTalk is busy. Wait a few seconds and send again.",
        _ => return None,
    })
}

fn security_hint(errmsg: &str) -> &'static str {
    let lower = errmsg.to_lowercase();
    if lower.contains("keyword") || errmsg.contains("关键词") {
        "The robot is secured by keywords and the message contains none of them. Include one of the \
         robot's keywords in the message text and send again."
    } else if lower.contains("timestamp") || errmsg.contains("时间戳") {
        "DingTalk rejected the signature's timestamp: this machine's clock differs from real time by \
         more than an hour. Fix the system clock (e.g. enable NTP)."
    } else if lower.contains("sign") || errmsg.contains("签名") {
        "The signature does not match. Set DINGTALK_BOT_SECRET to the robot's signing secret \
         (it starts with SEC), or unset it if the robot does not use signing."
    } else if lower.contains("ip") || errmsg.contains("白名单") {
        "This machine's IP address is not in the robot's IP allow-list. Ask a group admin to add it \
         in the robot's security settings."
    } else {
        "The message failed the robot's security settings (keywords, signature or IP allow-list). \
         Check that DINGTALK_BOT_SECRET matches the robot and that the text contains a keyword."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_failures_are_told_apart() {
        let cases = [
            ("keywords not in content", "keywords"),
            ("sign not match", "DINGTALK_BOT_SECRET"),
            ("机器人发送签名不匹配", "DINGTALK_BOT_SECRET"),
            ("invalid timestamp", "clock"),
            ("ip 1.2.3.4 不在白名单中", "allow-list"),
            ("something new", "security settings"),
        ];
        for (errmsg, expected) in cases {
            let hint = hint(310000, errmsg).unwrap();
            assert!(hint.contains(expected), "{errmsg}: {hint}");
        }
    }

    #[test]
    fn known_codes_have_hints_and_unknown_do_not() {
        for code in [
            300001, 300005, 400101, 130101, 410100, 460101, 400013, 400102, 400106, 430101, 430103,
            40035, -1,
        ] {
            assert!(hint(code, "").is_some(), "{code}");
        }
        assert_eq!(hint(123456, "x"), None);
    }
}
