//! Numeric series for plots: samples in arrival order, bounded, trimmed in chunks, decimated for
//! drawing to about one point per pixel column.

/// Samples kept per series by default (about 28 hours at one sample a second).
pub const DEFAULT_SERIES_CAPACITY: usize = 100_000;

/// One plotted quantity: `[x, y]` samples with x in seconds since the Unix epoch, in order.
#[derive(Clone, Debug)]
pub struct Series {
    points: Vec<[f64; 2]>,
    capacity: usize,
}

impl Default for Series {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_SERIES_CAPACITY)
    }
}

impl Series {
    /// An empty series keeping at most `capacity` samples (at least 2).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            points: Vec::new(),
            capacity: capacity.max(2),
        }
    }

    /// Add a sample. Samples older than the newest are moved up to it, so the series stays
    /// ordered (clocks on one machine only go backwards when adjusted). When full, the oldest
    /// eighth is dropped at once, so trimming costs O(1) per sample amortised and the samples stay
    /// contiguous for the plot to borrow.
    pub fn push(&mut self, x: f64, y: f64) {
        if !x.is_finite() || !y.is_finite() {
            return;
        }
        let x = self.points.last().map_or(x, |last| x.max(last[0]));
        if self.points.len() >= self.capacity {
            let chunk = (self.capacity / 8).max(1);
            self.points.drain(..chunk);
        }
        self.points.push([x, y]);
    }

    /// Every sample kept, oldest first.
    pub fn points(&self) -> &[[f64; 2]] {
        &self.points
    }

    /// The samples with `x_min <= x <= x_max`, by binary search.
    pub fn window(&self, x_min: f64, x_max: f64) -> &[[f64; 2]] {
        let start = self.points.partition_point(|p| p[0] < x_min);
        let end = self.points.partition_point(|p| p[0] <= x_max);
        &self.points[start..end.max(start)]
    }

    /// The newest sample.
    pub fn last(&self) -> Option<[f64; 2]> {
        self.points.last().copied()
    }

    /// Number of samples kept.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when no sample is kept.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Reduce ordered samples to at most about `2 * columns` points for drawing: for each of
/// `columns` equal slices of the x range, the lowest and highest sample in x order. Peaks and dips
/// survive (a mean would hide them); series short enough are returned whole.
pub fn decimate(points: &[[f64; 2]], columns: usize) -> Vec<[f64; 2]> {
    let columns = columns.max(1);
    if points.len() <= columns * 2 {
        return points.to_vec();
    }
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let (x_min, span) = (first[0], (last[0] - first[0]).max(f64::MIN_POSITIVE));
    let mut out = Vec::with_capacity(columns * 2 + 2);
    let mut start = 0;
    while start < points.len() {
        let column = (((points[start][0] - x_min) / span) * columns as f64) as usize;
        let column_end = x_min + span * (column + 1) as f64 / columns as f64;
        let mut end = start + 1;
        while end < points.len() && points[end][0] < column_end {
            end += 1;
        }
        let slice = &points[start..end];
        let (mut low, mut high) = (0, 0);
        for (i, point) in slice.iter().enumerate() {
            if point[1] < slice[low][1] {
                low = i;
            }
            if point[1] > slice[high][1] {
                high = i;
            }
        }
        let (a, b) = (low.min(high), low.max(high));
        out.push(slice[a]);
        if b != a {
            out.push(slice[b]);
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_keeps_order_and_bound() {
        let mut series = Series::with_capacity(16);
        for i in 0..100 {
            series.push(f64::from(i), f64::from(i) * 2.0);
        }
        assert!(series.len() <= 16 && series.len() >= 14, "{}", series.len());
        assert_eq!(series.last(), Some([99.0, 198.0]));
        series.push(50.0, 1.0);
        assert_eq!(
            series.last(),
            Some([99.0, 1.0]),
            "a late sample is moved up"
        );
        series.push(f64::NAN, 1.0);
        series.push(100.0, f64::INFINITY);
        assert_eq!(
            series.last(),
            Some([99.0, 1.0]),
            "non-finite samples are skipped"
        );
        assert!(series.points().windows(2).all(|w| w[0][0] <= w[1][0]));
    }

    #[test]
    fn window_by_time() {
        let mut series = Series::default();
        for i in 0..10 {
            series.push(f64::from(i), 0.0);
        }
        let xs: Vec<f64> = series.window(2.5, 5.0).iter().map(|p| p[0]).collect();
        assert_eq!(xs, [3.0, 4.0, 5.0]);
        assert!(series.window(20.0, 30.0).is_empty());
        assert!(series.window(5.0, 1.0).is_empty());
    }

    #[test]
    fn decimation_keeps_extremes_and_bounds_the_count() {
        let points: Vec<[f64; 2]> = (0..100_000)
            .map(|i| {
                let x = f64::from(i);
                let spike = if i == 51_234 { 1000.0 } else { 0.0 };
                [x, (x / 500.0).sin() + spike]
            })
            .collect();
        let reduced = decimate(&points, 800);
        assert!(reduced.len() <= 1_602, "{}", reduced.len());
        assert!(reduced.iter().any(|p| p[1] > 999.0), "the spike survives");
        assert!(
            reduced.windows(2).all(|w| w[0][0] <= w[1][0]),
            "still ordered"
        );
        assert_eq!(reduced.first(), points.first());
        let short = &points[..100];
        assert_eq!(decimate(short, 800), short);
        assert!(decimate(&[], 10).is_empty());
    }
}
