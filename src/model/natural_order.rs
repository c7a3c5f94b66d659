//! Natural ordering for topic levels, so `sensor2` sorts before `sensor10`.

use std::cmp::Ordering;

/// Compare two topic levels the way people read them.
///
/// Runs of ASCII digits compare by numeric value, everything else byte-wise; levels that
/// start with `$` (broker-internal such as `$SYS`) sort after all others. Ties fall back to
/// plain byte order, so this is a total order and safe for binary search and sorting.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let a_dollar = a.starts_with('$');
    let b_dollar = b.starts_with('$');
    if a_dollar != b_dollar {
        return a_dollar.cmp(&b_dollar);
    }
    let (a_bytes, b_bytes) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a_bytes.len() && j < b_bytes.len() {
        let (ca, cb) = (a_bytes[i], b_bytes[j]);
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let a_end = digit_run_end(a_bytes, i);
            let b_end = digit_run_end(b_bytes, j);
            let a_num = trim_leading_zeros(&a_bytes[i..a_end]);
            let b_num = trim_leading_zeros(&b_bytes[j..b_end]);
            let by_value = a_num.len().cmp(&b_num.len()).then_with(|| a_num.cmp(b_num));
            if by_value != Ordering::Equal {
                return by_value;
            }
            i = a_end;
            j = b_end;
        } else {
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
    }
    (a_bytes.len() - i)
        .cmp(&(b_bytes.len() - j))
        .then_with(|| a_bytes.cmp(b_bytes))
}

fn digit_run_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(bytes.len(), |offset| start + offset)
}

fn trim_leading_zeros(digits: &[u8]) -> &[u8] {
    let first_non_zero = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[first_non_zero..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_people_read() {
        let mut levels = vec![
            "sensor10", "$SYS", "sensor2", "", "Zeta", "alpha", "sensor02", "sensor1",
        ];
        levels.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            levels,
            vec![
                "", "Zeta", "alpha", "sensor1", "sensor02", "sensor2", "sensor10", "$SYS"
            ]
        );
    }

    #[test]
    fn is_a_total_order_on_equal_numbers() {
        assert_ne!(natural_cmp("a01", "a1"), Ordering::Equal);
        assert_eq!(natural_cmp("a01", "a1"), natural_cmp("a01", "a1"));
        assert_eq!(natural_cmp("a1", "a01"), natural_cmp("a01", "a1").reverse());
        assert_eq!(natural_cmp("same", "same"), Ordering::Equal);
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let big = "n99999999999999999999999999999";
        let bigger = "n100000000000000000000000000000";
        assert_eq!(natural_cmp(big, bigger), Ordering::Less);
    }
}
