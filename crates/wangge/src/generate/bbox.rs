//! Axis-aligned boxes in longitude/latitude or local-plane coordinates.

use rstar::AABB;

use super::Pt;

/// Axis-aligned box.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bbox {
    pub(super) min: Pt,
    pub(super) max: Pt,
}

impl Bbox {
    pub(super) fn empty() -> Self {
        Self {
            min: [f64::INFINITY; 2],
            max: [f64::NEG_INFINITY; 2],
        }
    }

    pub(super) fn of(pts: impl IntoIterator<Item = Pt>) -> Self {
        let mut b = Self::empty();
        for p in pts {
            b.add(p);
        }
        b
    }

    pub(super) fn add(&mut self, p: Pt) {
        self.min = [self.min[0].min(p[0]), self.min[1].min(p[1])];
        self.max = [self.max[0].max(p[0]), self.max[1].max(p[1])];
    }

    pub(super) fn expand(&self, d: f64) -> Self {
        Self {
            min: [self.min[0] - d, self.min[1] - d],
            max: [self.max[0] + d, self.max[1] + d],
        }
    }

    pub(super) fn intersect(&self, o: &Self) -> Self {
        Self {
            min: [self.min[0].max(o.min[0]), self.min[1].max(o.min[1])],
            max: [self.max[0].min(o.max[0]), self.max[1].min(o.max[1])],
        }
    }

    pub(super) fn is_valid(&self) -> bool {
        self.min[0] <= self.max[0] && self.min[1] <= self.max[1]
    }

    pub(super) fn intersects(&self, o: &Self) -> bool {
        self.min[0] <= o.max[0]
            && o.min[0] <= self.max[0]
            && self.min[1] <= o.max[1]
            && o.min[1] <= self.max[1]
    }

    pub(super) fn contains(&self, p: Pt) -> bool {
        self.min[0] <= p[0] && p[0] <= self.max[0] && self.min[1] <= p[1] && p[1] <= self.max[1]
    }

    /// True if the whole box lies strictly outside one of `rect`'s four half-planes.
    pub(super) fn outside_one_side_of(&self, rect: &Self) -> bool {
        self.max[0] < rect.min[0]
            || self.min[0] > rect.max[0]
            || self.max[1] < rect.min[1]
            || self.min[1] > rect.max[1]
    }

    pub(super) fn aabb(&self) -> AABB<Pt> {
        AABB::from_corners(self.min, self.max)
    }
}
