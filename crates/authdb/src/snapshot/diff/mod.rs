//! Comparing two snapshots: every way the actual schema departs from the expected one. A missing
//! or extra table is one difference, not one per column, index and trigger that goes with it.
//! Each kind of object is compared as a list of properties in words, so a message can say which
//! one changed and how; privileges are compared grantee by grantee.

mod objects;
mod relation;

pub(super) use objects::owner_table;
pub(crate) use objects::range_options;

use std::collections::{BTreeMap, BTreeSet};

use super::difference::{Change, Difference, Object, Property};
use super::{Grants, Privileged, Snapshot};

/// A property and its value in words; `None` is "there is none".
type Properties = Vec<(Property, Option<String>)>;

/// Every difference of `actual` from `expected`, in a stable order: schemas, extensions, default
/// privileges, types, sequences, functions, relations, other objects, then the tracking table,
/// each by name. The versions are not compared: that is the migrations' business.
pub fn diff(expected: &Snapshot, actual: &Snapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    objects::schemas(&mut out, expected, actual);
    objects::extensions(&mut out, expected, actual);
    objects::default_privileges(&mut out, expected, actual);
    objects::types(&mut out, expected, actual);
    objects::sequences(&mut out, expected, actual);
    objects::functions(&mut out, expected, actual);
    each(&expected.tables, &actual.tables, |name, e, a| {
        match (e, a) {
            (Some(e), Some(a)) if e.kind == a.kind => {
                relation::table(&mut out, e.kind.object(), name, e, a)
            }
            (Some(e), Some(a)) => out.push(Difference::new(
                a.kind.object(),
                name,
                Change::Differs {
                    property: Property::Kind,
                    actual: Some(a.kind.word().to_string()),
                    expected: Some(e.kind.word().to_string()),
                },
            )),
            (e, a) => {
                let kind = e.or(a).map(|t| t.kind).unwrap_or_default();
                compare(&mut out, kind.object(), name, e, a, |_| Vec::new())
            }
        }
    });
    objects::others(&mut out, expected, actual);
    match (&expected.tracking, &actual.tracking) {
        (Some(e), Some(a)) => relation::table(
            &mut out,
            Object::TrackingTable,
            crate::tracking::QUALIFIED,
            e,
            a,
        ),
        (e, a) => compare(
            &mut out,
            Object::TrackingTable,
            crate::tracking::QUALIFIED,
            e.as_ref(),
            a.as_ref(),
            |_| Vec::new(),
        ),
    }
    out
}

/// Calls `f` for every key of either map, in order, with what each map holds under it.
fn each<K: Ord, T>(
    expected: &BTreeMap<K, T>,
    actual: &BTreeMap<K, T>,
    mut f: impl FnMut(&K, Option<&T>, Option<&T>),
) {
    let keys: BTreeSet<&K> = expected.keys().chain(actual.keys()).collect();
    for key in keys {
        f(key, expected.get(key), actual.get(key));
    }
}

/// Missing, unexpected, or there in both and compared property by property.
fn compare<T>(
    out: &mut Vec<Difference>,
    object: Object,
    name: &str,
    expected: Option<&T>,
    actual: Option<&T>,
    properties: impl Fn(&T) -> Properties,
) {
    let mut push = |change| out.push(Difference::new(object, name, change));
    let (expected, actual) = match (expected, actual) {
        (Some(e), Some(a)) => (properties(e), properties(a)),
        (Some(_), None) => return push(Change::Missing),
        (None, Some(_)) => return push(Change::Unexpected),
        (None, None) => return,
    };
    for ((property, expected), (_, actual)) in expected.into_iter().zip(actual) {
        if expected != actual {
            push(Change::Differs {
                property,
                actual,
                expected,
            });
        }
    }
}

/// Owner, comment, then each grantee whose privileges differ.
fn privileged(
    out: &mut Vec<Difference>,
    object: Object,
    name: &str,
    expected: &Privileged,
    actual: &Privileged,
) {
    let properties = |p: &Privileged| {
        vec![
            (Property::Owner, Some(p.owner.clone())),
            (Property::Comment, p.comment.clone()),
        ]
    };
    compare(out, object, name, Some(expected), Some(actual), properties);
    grants(out, object, name, &expected.grants, &actual.grants);
}

/// One difference per grantee whose privileges differ, with both sides ("none" for none).
fn grants(
    out: &mut Vec<Difference>,
    object: Object,
    name: &str,
    expected: &Grants,
    actual: &Grants,
) {
    each(expected, actual, |grantee, e, a| {
        if e != a {
            out.push(Difference {
                object,
                name: name.to_string(),
                grantee: Some(grantee.clone()),
                change: Change::Differs {
                    property: Property::Privileges,
                    actual: a.cloned(),
                    expected: e.cloned(),
                },
            });
        }
    });
}

fn words(on: bool, yes: &str, no: &str) -> Option<String> {
    Some(if on { yes } else { no }.to_string())
}
