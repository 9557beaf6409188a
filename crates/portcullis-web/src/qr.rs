//! QR codes rendered on the server as SVG (no image service sees the secret).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcode::QrCode;
use qrcode::render::svg;

/// `data` as a QR code in an `<img src>`-ready `data:image/svg+xml` URL, or `None` when it is
/// too long for a QR code.
pub fn svg_data_url(data: &str) -> Option<String> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(image.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_svg_data_url() {
        let url =
            svg_data_url("otpauth://totp/Acme:jane%40example.com?secret=JBSWY3DPEHPK3PXP").unwrap();
        let svg = STANDARD
            .decode(url.strip_prefix("data:image/svg+xml;base64,").unwrap())
            .unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
