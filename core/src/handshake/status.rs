//! Reason phrases for the statuses an upgrade is refused with.

/// The standard reason phrase for `status` (RFC 9110 §15), or `"Refused"` for a status
/// without one here. Only informational: clients act on the code.
pub const fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases() {
        assert_eq!(reason_phrase(403), "Forbidden");
        assert_eq!(reason_phrase(426), "Upgrade Required");
        assert_eq!(reason_phrase(499), "Refused");
    }
}
