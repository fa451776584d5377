//! Component command lines the way kubeadm builds them: `--name=value` from ordered
//! `{name, value}` lists, where a user's argument replaces every default of the same name.

use crate::config::v1beta4::Arg;

/// A default argument.
pub fn arg(name: &str, value: impl Into<String>) -> Arg {
    Arg {
        name: name.to_string(),
        value: value.into(),
    }
}

/// The value of the last argument called `name` (kubeadm searches from the end).
pub fn last_value<'a>(args: &'a [Arg], name: &str) -> Option<&'a str> {
    args.iter()
        .rev()
        .find(|a| a.name == name)
        .map(|a| a.value.as_str())
}

/// Sets the last argument called `name` to `value`, or appends it if there is none.
pub fn set_value(args: &mut Vec<Arg>, name: &str, value: impl Into<String>) {
    let value = value.into();
    match args.iter_mut().rev().find(|a| a.name == name) {
        Some(existing) => existing.value = value,
        None => args.push(arg(name, value)),
    }
}

/// kubeadm's `ArgumentsToCommand`: overrides replace every base argument with the same
/// name (v1beta4 allows an override name to repeat), and the result is sorted by name,
/// then value, so the command line does not depend on the order things were added in.
pub fn arguments_to_command(base: &[Arg], overrides: &[Arg]) -> Vec<String> {
    let mut args: Vec<&Arg> = overrides.iter().collect();
    args.extend(
        base.iter()
            .filter(|b| !overrides.iter().any(|o| o.name == b.name)),
    );
    args.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.value.cmp(&b.value)));
    args.iter()
        .map(|a| format!("--{}={}", a.name, a.value))
        .collect()
}
