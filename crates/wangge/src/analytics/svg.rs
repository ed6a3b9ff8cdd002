//! A choropleth map of one level as SVG: each region filled by its value on a sequential
//! scale, with its code, name and value as a tooltip (`<title>`), and a legend.
//!
//! Projection: equirectangular around the mean latitude (x = lon·cos φ₀, y = −lat), which keeps
//! shapes right at city scale. Holes are drawn with `fill-rule="evenodd"`. Regions with value 0
//! are light grey; others run from pale yellow to dark red on a square-root scale of
//! value / max.

use crate::model::City;
use std::fmt::Write;

/// Colour stops of the scale (pale yellow → dark red).
const STOPS: [(f64, [u8; 3]); 4] = [
    (0.0, [255, 247, 188]),
    (0.33, [254, 196, 79]),
    (0.66, [236, 112, 20]),
    (1.0, [153, 52, 4]),
];
const ZERO: &str = "#e8e8e8";

/// The fill of a value on the scale (`max` > 0): `#rrggbb`.
pub fn colour(value: f64, max: f64) -> String {
    if value <= 0.0 || max <= 0.0 || !value.is_finite() {
        return ZERO.to_string();
    }
    let t = (value / max).clamp(0.0, 1.0).sqrt();
    let k = STOPS
        .iter()
        .position(|s| s.0 >= t)
        .unwrap_or(STOPS.len() - 1)
        .max(1);
    let ((t0, c0), (t1, c1)) = (STOPS[k - 1], STOPS[k]);
    let f = ((t - t0) / (t1 - t0)).clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(c0[0], c1[0]),
        mix(c0[1], c1[1]),
        mix(c0[2], c1[2])
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG text: regions of `level`, `values[id]` per region id (as in
/// [`super::CaseStats::regions`]), `width` pixels wide, with `title` on top.
pub fn choropleth(city: &City, level: usize, values: &[f64], width: f64, title: &str) -> String {
    use geo::BoundingRect;
    let regions: Vec<_> = city.level_regions(level).collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (_, r) in &regions {
        if let Some(b) = r.geometry.bounding_rect() {
            x0 = x0.min(b.min().x);
            y0 = y0.min(b.min().y);
            x1 = x1.max(b.max().x);
            y1 = y1.max(b.max().y);
        }
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let scale = width / ((x1 - x0) * k).max(1e-12);
    let map_h = (y1 - y0) * scale;
    let (top, legend_h) = (30.0, 40.0);
    let height = top + map_h + legend_h;
    let px = |x: f64, y: f64| ((x - x0) * k * scale, top + (y1 - y) * scale);
    let max = regions
        .iter()
        .map(|(id, _)| values.get(id.index()).copied().unwrap_or(0.0))
        .fold(0.0, f64::max);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.2} {height:.2}" font-family="sans-serif">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="4" y="20" font-size="14">{}</text>"#,
        escape(title)
    );
    let _ = writeln!(
        s,
        r##"<g stroke="#666" stroke-width="0.3" fill-rule="evenodd">"##
    );
    for (id, r) in &regions {
        let v = values.get(id.index()).copied().unwrap_or(0.0);
        let mut d = String::new();
        for polygon in &r.geometry.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for (i, c) in ring.0.iter().enumerate() {
                    let (x, y) = px(c.x, c.y);
                    let _ = write!(d, "{}{x:.2} {y:.2}", if i == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        let _ = writeln!(
            s,
            r#"<path d="{d}" fill="{}"><title>{} {}: {v}</title></path>"#,
            colour(v, max),
            escape(&r.code),
            escape(&r.name)
        );
    }
    s.push_str("</g>\n");
    let ly = top + map_h + 10.0;
    for i in 0..=10 {
        let v = max * (f64::from(i) / 10.0).powi(2);
        let _ = writeln!(
            s,
            r##"<rect x="{:.1}" y="{ly:.1}" width="20" height="12" fill="{}" stroke="#666" stroke-width="0.3"/>"##,
            4.0 + f64::from(i) * 22.0,
            if i == 0 {
                ZERO.to_string()
            } else {
                colour(v, max)
            }
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="4" y="{:.1}" font-size="11">0</text><text x="224" y="{:.1}" font-size="11" text-anchor="end">{max}</text>"#,
        ly + 26.0,
        ly + 26.0
    );
    s.push_str("</svg>\n");
    s
}
