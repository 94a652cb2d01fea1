//! Derivations between times: `end = start + ring + duration`,
//! `start = end - duration`, `answer = start + ring`, and durations from
//! two times: `duration_s = end - answer`.

/// A time in the model that others can be derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeTarget {
    Start,
    Answer,
    End,
}

impl TimeTarget {
    pub(crate) fn name(self) -> &'static str {
        match self {
            TimeTarget::Start => "start",
            TimeTarget::Answer => "answer",
            TimeTarget::End => "end",
        }
    }

    fn from_name(name: &str) -> Option<TimeTarget> {
        match name {
            "start" => Some(TimeTarget::Start),
            "answer" => Some(TimeTarget::Answer),
            "end" => Some(TimeTarget::End),
            _ => None,
        }
    }
}

/// A length of time added to or taken from the anchor time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term<S> {
    /// The record's talk time (`duration_s`).
    Duration,
    /// The record's ring time (`ring_s`); unknown counts as 0.
    Ring,
    /// A source field holding whole seconds; empty counts as 0.
    Field(S),
}

/// `anchor ± term ± term …`
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeExpr<S> {
    pub anchor: TimeTarget,
    /// Each term with its sign (+1 or −1).
    pub terms: Vec<(i64, Term<S>)>,
}

impl<S> TimeExpr<S> {
    pub(crate) fn map_fields<T, E>(
        self,
        mut f: impl FnMut(S) -> Result<T, E>,
    ) -> Result<TimeExpr<T>, E> {
        let terms = self
            .terms
            .into_iter()
            .map(|(sign, term)| {
                Ok((
                    sign,
                    match term {
                        Term::Duration => Term::Duration,
                        Term::Ring => Term::Ring,
                        Term::Field(s) => Term::Field(f(s)?),
                    },
                ))
            })
            .collect::<Result<_, E>>()?;
        Ok(TimeExpr { anchor: self.anchor, terms })
    }
}

enum Token {
    Word(String),
    Bracketed(String),
    Plus,
    Minus,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '+' => out.push(Token::Plus),
            '-' => out.push(Token::Minus),
            '[' => {
                let rest = text.get(i + 1..).unwrap_or_default();
                let close = rest.find(']').ok_or("unclosed [")?;
                let name = rest.get(..close).unwrap_or_default().trim();
                if name.is_empty() {
                    return Err("empty [ ]".into());
                }
                out.push(Token::Bracketed(name.to_string()));
                while chars.next_if(|(j, _)| *j <= i + 1 + close).is_some() {}
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some((_, c)) =
                    chars.next_if(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
                {
                    word.push(c);
                }
                out.push(Token::Word(word));
            }
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    Ok(out)
}

/// Parses `start + ring + [Hold Time]`. Field names in brackets may also
/// be 1-based column numbers (`[16]`).
pub(crate) fn parse_time_expr(text: &str) -> Result<TimeExpr<String>, String> {
    let mut tokens = tokens(text)?.into_iter();
    let anchor = match tokens.next() {
        Some(Token::Word(w)) => TimeTarget::from_name(&w)
            .ok_or_else(|| format!("expected start, answer or end first, found {w:?}"))?,
        _ => return Err("expected start, answer or end first".into()),
    };
    let mut terms = Vec::new();
    while let Some(op) = tokens.next() {
        let sign = match op {
            Token::Plus => 1,
            Token::Minus => -1,
            _ => return Err("expected + or - between terms".into()),
        };
        let term = match tokens.next() {
            Some(Token::Word(w)) if w == "duration" => Term::Duration,
            Some(Token::Word(w)) if w == "ring" => Term::Ring,
            Some(Token::Word(w)) => {
                return Err(format!(
                    "unknown term {w:?}: use duration, ring or a [source field] in seconds"
                ));
            }
            Some(Token::Bracketed(name)) => Term::Field(name),
            _ => return Err("expression ends after an operator".into()),
        };
        terms.push((sign, term));
    }
    if terms.is_empty() {
        return Err("expected at least one term after the time".into());
    }
    Ok(TimeExpr { anchor, terms })
}

/// Parses `end - answer`: a duration as the difference of two times.
pub(crate) fn parse_span_expr(text: &str) -> Result<(TimeTarget, TimeTarget), String> {
    let tokens = tokens(text)?;
    match tokens.as_slice() {
        [Token::Word(a), Token::Minus, Token::Word(b)] => {
            match (TimeTarget::from_name(a), TimeTarget::from_name(b)) {
                (Some(a), Some(b)) if a != b => Ok((a, b)),
                _ => Err("expected two different times, e.g. \"end - answer\"".into()),
            }
        }
        _ => Err("expected a difference of two times, e.g. \"end - answer\"".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse() {
        let e = parse_time_expr("start + ring + duration + [Hold Time] - [3]").unwrap();
        assert_eq!(e.anchor, TimeTarget::Start);
        assert_eq!(
            e.terms,
            vec![
                (1, Term::Ring),
                (1, Term::Duration),
                (1, Term::Field("Hold Time".to_string())),
                (-1, Term::Field("3".to_string())),
            ]
        );
        assert_eq!(parse_span_expr("end - answer").unwrap(), (TimeTarget::End, TimeTarget::Answer));
    }

    #[test]
    fn bad_expressions_say_why() {
        assert_eq!(
            parse_time_expr("start").unwrap_err(),
            "expected at least one term after the time"
        );
        assert_eq!(
            parse_time_expr("begin + ring").unwrap_err(),
            "expected start, answer or end first, found \"begin\""
        );
        assert_eq!(
            parse_time_expr("start + talk").unwrap_err(),
            "unknown term \"talk\": use duration, ring or a [source field] in seconds"
        );
        assert_eq!(parse_time_expr("start + [x").unwrap_err(), "unclosed [");
        assert_eq!(parse_time_expr("start * 2").unwrap_err(), "unexpected '*'");
        assert!(parse_span_expr("end - end").is_err());
    }
}
