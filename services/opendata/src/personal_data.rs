//! Personal data of individuals in cell values. OD Regulation (Cabinet resolution No. 808 of 2020), Annex 3:
//! open data must not contain personal data of individuals (REQUIREMENTS.md §5); this module is the one place
//! that rule's automatic check lives.
//!
//! The check looks for identifiers that single out a person and that a machine can recognise reliably: a PINFL
//! (JShShIR), a passport or ID-card number, a mobile phone number and an e-mail address on a public webmail
//! domain. It is a safety net in front of the supplier's own responsibility, not a proof of anonymity: names,
//! addresses and the like cannot be told from organisation names and official addresses by their shape.
//!
//! What is deliberately *not* flagged, because open data legitimately carries it:
//! - landline numbers (Uzbek area codes such as 71 for Tashkent): they are organisations' reception and contact
//!   lines, and the data set passport itself must publish the supplier's phone (OD Annex 2);
//! - e-mail addresses on any domain not in [`WEBMAIL_DOMAINS`] (e.g. `info@stat.uz`): organisations' addresses;
//! - 9-digit numbers (a STIR, the taxpayer number of organisations) and mobile numbers written without the
//!   country code and without parentheses (`90 123 45 67`), which cannot be told from other 9-digit numbers;
//! - a 14-digit number with a fractional part (`12345678901234.5`): a PINFL never has one, so it is an amount.
//!
//! Known false positives, accepted because refusing a publication is cheaper than publishing a person's
//! identifier: any 14-digit whole number starting with 1-6 (e.g. an amount of 54 trillion so'm, a GTIN-14
//! barcode) is taken for a PINFL; the supplier publishes such amounts in thousands or millions instead.
//!
//! The scan works on bytes without allocating and only looks further at cells containing a digit or `@`, so it
//! can run on every cell of a gigabyte upload.

use std::fmt;

/// A kind of personal data of an individual that [`detect`] recognises (OD Annex 3: none of them may be published).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonalDataKind {
    /// A personal identification number (PINFL, JShShIR): 14 digits, the first 1-6.
    Pinfl,
    /// A passport or ID-card series and number: two Latin capital letters and 7 digits (`AA1234567`).
    PassportNumber,
    /// A mobile phone number (`+998 90 123 45 67`, `(90) 123-45-67`).
    MobilePhoneNumber,
    /// An e-mail address on a public webmail domain (`someone@gmail.com`).
    PersonalEmail,
}

impl PersonalDataKind {
    /// A stable machine name, for logs, metrics and API error details.
    pub fn code(self) -> &'static str {
        match self {
            PersonalDataKind::Pinfl => "pinfl",
            PersonalDataKind::PassportNumber => "passport_number",
            PersonalDataKind::MobilePhoneNumber => "mobile_phone_number",
            PersonalDataKind::PersonalEmail => "personal_email",
        }
    }

    /// The kind as a supplier reads it in a refusal message ("… looks like a personal identification number").
    pub fn human_name(self) -> &'static str {
        match self {
            PersonalDataKind::Pinfl => "a personal identification number (PINFL, JShShIR)",
            PersonalDataKind::PassportNumber => "a passport or ID-card number",
            PersonalDataKind::MobilePhoneNumber => "a mobile phone number of an individual",
            PersonalDataKind::PersonalEmail => "a personal e-mail address (public webmail domain)",
        }
    }
}

impl fmt::Display for PersonalDataKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.human_name())
    }
}

/// Public webmail domains: an address on one of them belongs to a person, not to an organisation. Addresses on
/// any other domain are taken for organisations' addresses and allowed. Compared without regard to ASCII case.
pub const WEBMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "mail.ru",
    "internet.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "rambler.ru",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.com",
    "mail.com",
    "proton.me",
    "protonmail.com",
    "umail.uz",
    "inbox.uz",
];

/// Uzbek mobile operator codes (the two digits after 998). Other codes are landlines (71-79 and the regional
/// codes), which are allowed.
pub const MOBILE_OPERATOR_CODES: &[u8] = &[20, 33, 50, 55, 77, 88, 90, 91, 93, 94, 95, 97, 98, 99];

/// The most consecutive separators (space, `-`, `(`, `)`) allowed between digit groups of a phone number:
/// enough for `) - `, few enough not to join numbers far apart in a text.
const MAX_PHONE_SEPARATORS: usize = 3;

/// The first kind of personal data found in a cell, scanning the trimmed value left to right, or `None`.
///
/// OD Annex 3: a cell for which this returns `Some` must not be published. A PINFL, passport number or phone
/// number counts when it stands as a token of its own: not glued to other letters or digits (`ID31234567890123`
/// and `AA12345678` are other identifiers).
pub fn detect(value: &str) -> Option<PersonalDataKind> {
    let bytes = value.trim().as_bytes();
    if !bytes.iter().any(|byte| byte.is_ascii_digit() || *byte == b'@') {
        return None;
    }
    for (index, &byte) in bytes.iter().enumerate() {
        let found = match byte {
            b'@' => is_webmail_at(bytes, index).then_some(PersonalDataKind::PersonalEmail),
            b'0'..=b'9' | b'+' | b'(' | b'A'..=b'Z' if index == 0 || !bytes[index - 1].is_ascii_alphanumeric() => {
                token_at(bytes, index)
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// A PINFL, passport or phone number starting at `start`, a token start (not preceded by a letter or digit).
fn token_at(bytes: &[u8], start: usize) -> Option<PersonalDataKind> {
    match bytes[start] {
        b'0'..=b'9' if is_pinfl_at(bytes, start) => Some(PersonalDataKind::Pinfl),
        b'0'..=b'9' | b'+' if is_international_mobile_at(bytes, start) => Some(PersonalDataKind::MobilePhoneNumber),
        b'(' if is_national_mobile_at(bytes, start) || is_international_mobile_at(bytes, start) => {
            Some(PersonalDataKind::MobilePhoneNumber)
        }
        b'A'..=b'Z' if is_passport_at(bytes, start) => Some(PersonalDataKind::PassportNumber),
        _ => None,
    }
}

/// The length of the run of ASCII digits starting at `start`, counting at most `limit`.
fn digit_run(bytes: &[u8], start: usize, limit: usize) -> usize {
    bytes.get(start..).unwrap_or_default().iter().take(limit).take_while(|byte| byte.is_ascii_digit()).count()
}

/// Whether the byte at `index` exists and is an ASCII letter or digit (i.e. a token does not end before it).
fn is_alphanumeric_at(bytes: &[u8], index: usize) -> bool {
    bytes.get(index).is_some_and(u8::is_ascii_alphanumeric)
}

/// A PINFL-like token: exactly 14 digits, the first 1-6 (it encodes sex and century), and not the integral or
/// fractional part of a decimal number. No check digit is verified: a PINFL-like number is refused either way.
fn is_pinfl_at(bytes: &[u8], start: usize) -> bool {
    const LENGTH: usize = 14;
    if !(b'1'..=b'6').contains(&bytes[start]) || digit_run(bytes, start, LENGTH + 1) != LENGTH {
        return false;
    }
    let end = start + LENGTH;
    if is_alphanumeric_at(bytes, end) {
        return false;
    }
    let fraction_follows = bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
    let fraction_of_earlier_number = start >= 2 && bytes[start - 1] == b'.' && bytes[start - 2].is_ascii_digit();
    !fraction_follows && !fraction_of_earlier_number
}

/// A passport or ID-card number: two Latin capitals, an optional space, exactly 7 digits.
fn is_passport_at(bytes: &[u8], start: usize) -> bool {
    if !bytes.get(start + 1).is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    let mut digits_start = start + 2;
    if bytes.get(digits_start) == Some(&b' ') {
        digits_start += 1;
    }
    digit_run(bytes, digits_start, 8) == 7 && !is_alphanumeric_at(bytes, digits_start + 7)
}

fn is_mobile_code(tens: u8, units: u8) -> bool {
    MOBILE_OPERATOR_CODES.contains(&((tens - b'0') * 10 + (units - b'0')))
}

fn is_phone_separator(byte: u8) -> bool {
    matches!(byte, b' ' | b'-' | b'(' | b')')
}

/// Collects `N` digits from `start`, allowing runs of separators between them. Returns the digits and the index
/// just after the last one, or `None` when another byte interrupts or a separator run is too long.
fn phone_digits<const N: usize>(bytes: &[u8], start: usize) -> Option<([u8; N], usize)> {
    let mut digits = [0u8; N];
    let mut count = 0;
    let mut separators = 0;
    let mut index = start;
    while count < N {
        let byte = *bytes.get(index)?;
        if byte.is_ascii_digit() {
            digits[count] = byte;
            count += 1;
            separators = 0;
        } else if is_phone_separator(byte) && separators < MAX_PHONE_SEPARATORS {
            separators += 1;
        } else {
            return None;
        }
        index += 1;
    }
    Some((digits, index))
}

/// `+998`, a mobile operator code and 7 digits (the `+` optional), with separators between groups.
fn is_international_mobile_at(bytes: &[u8], start: usize) -> bool {
    let first_digit = if bytes[start] == b'+' { start + 1 } else { start };
    let Some((digits, end)) = phone_digits::<12>(bytes, first_digit) else {
        return false;
    };
    digits.starts_with(b"998") && is_mobile_code(digits[3], digits[4]) && !is_alphanumeric_at(bytes, end)
}

/// The national form with the operator code in parentheses: `(90) 123-45-67`.
fn is_national_mobile_at(bytes: &[u8], start: usize) -> bool {
    let (Some(&tens), Some(&units), Some(&b')')) = (bytes.get(start + 1), bytes.get(start + 2), bytes.get(start + 3))
    else {
        return false;
    };
    if !tens.is_ascii_digit() || !units.is_ascii_digit() || !is_mobile_code(tens, units) {
        return false;
    }
    matches!(phone_digits::<7>(bytes, start + 4), Some((_, end)) if !is_alphanumeric_at(bytes, end))
}

fn is_local_part_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-')
}

/// An e-mail address around the `@` at `at` whose domain is a public webmail domain.
fn is_webmail_at(bytes: &[u8], at: usize) -> bool {
    if at == 0 || !is_local_part_byte(bytes[at - 1]) {
        return false;
    }
    let rest = &bytes[at + 1..];
    let length = rest.iter().take_while(|byte| is_domain_byte(**byte)).count();
    // A sentence may end right after the address: "write to someone@gmail.com."
    let domain = &rest[..length];
    let end = domain.iter().rposition(|byte| *byte != b'.').map_or(0, |last| last + 1);
    let domain = &domain[..end];
    WEBMAIL_DOMAINS.iter().any(|webmail| webmail.as_bytes().eq_ignore_ascii_case(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_detects(kind: PersonalDataKind, values: &[&str]) {
        for value in values {
            assert_eq!(detect(value), Some(kind), "{value:?} should be {kind:?}");
        }
    }

    fn assert_allowed(values: &[&str]) {
        for value in values {
            assert_eq!(detect(value), None, "{value:?} should be allowed");
        }
    }

    #[test]
    fn a_pinfl_alone_or_as_a_token_is_personal_data() {
        assert_detects(
            PersonalDataKind::Pinfl,
            &[
                "31234567890123",
                " 61234567890123 ",
                "JShShIR: 31234567890123",
                "31234567890123, 41234567890123",
                "-31234567890123",
                "ПИНФЛ 11234567890123.",
            ],
        );
    }

    #[test]
    fn other_numbers_are_not_a_pinfl() {
        assert_allowed(&[
            "3123456789012",     // 13 digits
            "312345678901234",   // 15 digits
            "71234567890123",    // first digit 7
            "01234567890123",    // first digit 0
            "12345678901234.5",  // a decimal amount: a PINFL has no fraction
            "0.12345678901234",  // the fraction of a decimal
            "ID31234567890123",  // glued to letters: another identifier
            "31234567890123kg",  // glued to letters
            "2024-01-15",        // a date
            "305123456",         // a STIR (9 digits)
            "1 234 567 890 123", // an amount with thousands separators
            "Toshkent shahri",   // no digits at all
        ]);
    }

    #[test]
    fn a_passport_number_is_personal_data() {
        assert_detects(PersonalDataKind::PassportNumber, &["AA1234567", "AB 1234567", "pasport: AD1234567, 2020"]);
    }

    #[test]
    fn other_letter_digit_codes_are_not_a_passport() {
        assert_allowed(&["AA12345678", "AA123456", "aa1234567", "XAA1234567", "AA1234567B", "A1234567", "AA  1234567"]);
    }

    #[test]
    fn a_mobile_number_is_personal_data() {
        assert_detects(
            PersonalDataKind::MobilePhoneNumber,
            &[
                "+998901234567",
                "998901234567",
                "+998 90 123 45 67",
                "+998 (90) 123-45-67",
                "+998-33-123-45-67",
                "tel: +998 20 1234567, ish vaqti 9-18",
                "(90) 123-45-67",
                "(99)1234567",
                "+998 88 123 45 67",
            ],
        );
    }

    #[test]
    fn landlines_and_other_numbers_are_not_a_mobile_number() {
        assert_allowed(&[
            "+998 71 239 12 34", // Tashkent landline: an organisation's number
            "+998 (71) 202-32-32",
            "(71) 123-45-67",
            "+998 90 123 45 6",   // one digit short
            "+998 90 123 45 678", // one digit too many
            "1998901234567",      // part of a longer number
            "90 123 45 67",       // national form without parentheses: cannot be told from other numbers
            "901234567",          // 9 digits, like a STIR
            "+998 90       123 45 67",
        ]);
    }

    #[test]
    fn an_address_on_a_webmail_domain_is_personal_data() {
        assert_detects(
            PersonalDataKind::PersonalEmail,
            &["someone@gmail.com", "Ali.Valiyev@Mail.RU", "yozing: someone@umail.uz.", "a+b@proton.me; info@stat.uz"],
        );
    }

    #[test]
    fn an_address_on_an_organisation_domain_is_allowed() {
        assert_allowed(&[
            "info@soliq.uz",
            "info@stat.uz",
            "press@gmail.com.uz",
            "someone@mygmail.com",
            "@gmail.com",
            "user@",
            "a @ gmail.com",
        ]);
    }

    #[test]
    fn kinds_have_a_code_and_a_human_name() {
        assert_eq!(PersonalDataKind::Pinfl.code(), "pinfl");
        assert!(PersonalDataKind::PersonalEmail.to_string().contains("e-mail"));
    }
}
