//! Status colours (good, warning, bad, information, diff lines) are chosen for the dark theme;
//! on the light theme the same hues are darkened so they stay readable on a white background.

use egui::{Color32, Visuals};

/// `color` as it should be drawn with `visuals`: itself on a dark background, darker (60 %) on
/// a light one. Greys and the theme's own colours are left alone by callers.
pub fn adapt(color: Color32, visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        return color;
    }
    let darker = |channel: u8| (u16::from(channel) * 3 / 5) as u8;
    Color32::from_rgba_unmultiplied(
        darker(color.r()),
        darker(color.g()),
        darker(color.b()),
        color.a(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG contrast of `color` against white.
    fn contrast_on_white(color: Color32) -> f32 {
        let linear = |c: u8| {
            let c = f32::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance =
            0.2126 * linear(color.r()) + 0.7152 * linear(color.g()) + 0.0722 * linear(color.b());
        1.05 / (luminance + 0.05)
    }

    #[test]
    fn status_colours_are_readable_on_the_light_theme() {
        let light = Visuals::light();
        for (r, g, b) in [
            (230, 90, 80),
            (80, 200, 120),
            (230, 160, 60),
            (120, 190, 250),
            (110, 200, 110),
            (240, 190, 90),
            (200, 160, 60),
        ] {
            let color = adapt(Color32::from_rgb(r, g, b), &light);
            assert!(
                contrast_on_white(color) >= 3.0,
                "({r}, {g}, {b}) becomes {color:?}: contrast {:.1}",
                contrast_on_white(color)
            );
        }
        let dark = Visuals::dark();
        assert_eq!(
            adapt(Color32::from_rgb(1, 2, 3), &dark),
            Color32::from_rgb(1, 2, 3)
        );
    }
}
