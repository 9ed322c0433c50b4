//! Dates of front matter and declarations: a calendar day, with the value as
//! written and as RFC 3339; text in TOML and YAML, parts in the build cache.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A date or date-time from front matter, validated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// The calendar date, `YYYY-MM-DD`.
    pub day: jiff::civil::Date,
    /// The full value as RFC 3339 (midnight UTC for a bare date).
    pub rfc3339: String,
    /// The value as written, normalised (`YYYY-MM-DD` or RFC 3339).
    pub text: String,
}

impl Date {
    /// Parse `YYYY-MM-DD`, an RFC 3339 timestamp, or a local date-time.
    pub fn parse(s: &str) -> Result<Date, String> {
        let s = s.trim();
        if let Ok(day) = s.parse::<jiff::civil::Date>()
            && s.len() == 10
        {
            return Ok(Date {
                day,
                rfc3339: format!("{day}T00:00:00Z"),
                text: day.to_string(),
            });
        }
        if s.parse::<jiff::Timestamp>().is_ok()
            && let Ok(day) = s[..10].parse::<jiff::civil::Date>()
        {
            return Ok(Date {
                day,
                rfc3339: s.to_string(),
                text: s.to_string(),
            });
        }
        if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
            return Ok(Date {
                day: dt.date(),
                rfc3339: format!("{}Z", dt.strftime("%Y-%m-%dT%H:%M:%S")),
                text: s.to_string(),
            });
        }
        Err(format!(
            "invalid date {s:?}: expected YYYY-MM-DD or an RFC 3339 date-time (e.g. 2023-05-04T09:30:00Z), and a date that exists"
        ))
    }
}

/// A date in a binary format (the build cache): its parts, not text to parse again.
type DateParts = (String, String, i16, i8, i8);

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return s.serialize_str(&self.text);
        }
        let day = self.day;
        (
            &self.text,
            &self.rfc3339,
            day.year(),
            day.month(),
            day.day(),
        )
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        if d.is_human_readable() {
            return d.deserialize_any(DateVisitor);
        }
        let (text, rfc3339, year, month, day) = DateParts::deserialize(d)?;
        let day = jiff::civil::Date::new(year, month, day).map_err(de::Error::custom)?;
        Ok(Date { day, rfc3339, text })
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date (YYYY-MM-DD) or an RFC 3339 date-time")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
        Date::parse(v).map_err(E::custom)
    }

    /// TOML hands dates over as a one-entry map holding the date's text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
        let Some((_, text)) = map.next_entry::<String, String>()? else {
            return Err(de::Error::custom("empty date"));
        };
        Date::parse(&text).map_err(de::Error::custom)
    }
}
