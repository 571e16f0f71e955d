//! The information-system part of the application form (A1/Ap2, A2/Ap2): what the operator needs to know about
//! a system before connecting it. Given on registration or later; complete before its organisation may apply.

use koprik_proto::registry::{InformationSystemForm, SystemUser};
use koprik_proto::FieldError;

use super::text;

/// The most named users a form lists.
pub const MAX_USERS: usize = 100;

/// Checks a form and returns it normalised (text trimmed).
pub fn check(form: &InformationSystemForm) -> Result<InformationSystemForm, FieldError> {
    let email = form.support_email.trim();
    let email_ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
    }) && !email.contains(char::is_whitespace);
    if !email_ok {
        return Err(FieldError::new("support_email", "must be an e-mail address"));
    }
    let phone = form.responsible_phone.trim();
    let digits: String = phone.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    if !(digits.len() == 13 && digits.starts_with("+998") && digits[1..].chars().all(|c| c.is_ascii_digit())) {
        return Err(FieldError::new("responsible_phone", "must be an Uzbek number: +998 and nine digits"));
    }
    let address = form.network_address.trim();
    if address.is_empty() || address.len() > 255 || address.contains(char::is_whitespace) {
        return Err(FieldError::new("network_address", "must be a host name or IP address, optionally with a port"));
    }
    if !(1..=24).contains(&form.operating_hours_per_day) {
        return Err(FieldError::new("operating_hours_per_day", "must be 1-24"));
    }
    if form.users.is_empty() || form.users.len() > MAX_USERS {
        return Err(FieldError::new(
            "users",
            format!("must name 1-{MAX_USERS} users with position and appointment order"),
        ));
    }
    let users = form
        .users
        .iter()
        .enumerate()
        .map(|(index, user)| system_user(user).map_err(|e| e.at("users", index)))
        .collect::<Result<_, _>>()?;
    Ok(InformationSystemForm {
        purpose: text::name(&form.purpose, "purpose")?,
        tasks: text::name(&form.tasks, "tasks")?,
        support_email: email.to_owned(),
        responsible_phone: digits,
        services_description: text::description(&form.services_description, "services_description")?,
        data_composition: text::name(&form.data_composition, "data_composition")?,
        network_address: address.to_owned(),
        operating_hours_per_day: form.operating_hours_per_day,
        users,
    })
}

fn system_user(user: &SystemUser) -> Result<SystemUser, FieldError> {
    Ok(SystemUser {
        full_name: text::name(&user.full_name, "full_name")?,
        position: text::name(&user.position, "position")?,
        appointment_order: text::name(&user.appointment_order, "appointment_order")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InformationSystemForm {
        InformationSystemForm {
            purpose: "Tax administration".into(),
            tasks: "Verify taxpayers' identity".into(),
            support_email: "support@soliq.uz".into(),
            responsible_phone: "+998 71 244-98-98".into(),
            services_description: "None offered".into(),
            data_composition: "Taxpayer records".into(),
            network_address: "10.20.30.40:8443".into(),
            operating_hours_per_day: 24,
            users: vec![SystemUser {
                full_name: "Aziz Karimov".into(),
                position: "Chief inspector".into(),
                appointment_order: "No. 112-k of 2026-02-01".into(),
            }],
        }
    }

    #[test]
    fn a_complete_form_is_normalised() {
        let form = check(&sample()).expect("complete");
        assert_eq!(form.responsible_phone, "+998712449898");
    }

    #[test]
    fn each_field_is_checked() {
        type Change = Box<dyn Fn(&mut InformationSystemForm)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|f| f.support_email = "support".into()), "support_email"),
            (Box::new(|f| f.responsible_phone = "71 244 98 98".into()), "responsible_phone"),
            (Box::new(|f| f.network_address = "a b".into()), "network_address"),
            (Box::new(|f| f.operating_hours_per_day = 25), "operating_hours_per_day"),
            (Box::new(|f| f.users.clear()), "users"),
            (Box::new(|f| f.users[0].appointment_order = " ".into()), "users[0].appointment_order"),
            (Box::new(|f| f.purpose = String::new()), "purpose"),
        ];
        for (change, field) in cases {
            let mut form = sample();
            change(&mut form);
            assert_eq!(check(&form).expect_err(field).field, field);
        }
    }
}
