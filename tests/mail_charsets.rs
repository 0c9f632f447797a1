//! The character sets a forwarded receipt is decoded from.
//!
//! mail-parser is built without its `full_encoding` feature, which would add
//! encoding_rs and its CJK tables (158 KB of raw wasm, 127 KB gzipped, in a
//! release build of this worker). Without it, mail-parser still decodes
//! UTF-8, UTF-7, UTF-16, ISO-8859-1 to -16, Windows-1250 to -1258, KOI8 and
//! Mac Roman itself. A multi-byte East Asian charset (Shift JIS, Big5, GBK,
//! EUC) is read as UTF-8 with replacement characters, so its ASCII (digits,
//! `$`, `USD`) survives.

use misgastos::email::mime::parse_raw;

/// Builds a one-part text mail whose body is `body`, declared as `charset`.
fn mail(charset: &str, transfer_encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "From: Tienda <boletas@tienda.example>\r\n\
         To: gastos@misgastos.example\r\n\
         Subject: Boleta\r\n\
         Message-ID: <charset-{charset}@tienda.example>\r\n\
         Date: Tue, 03 Mar 2026 12:00:00 -0300\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=\"{charset}\"\r\n\
         Content-Transfer-Encoding: {transfer_encoding}\r\n\r\n"
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw.extend_from_slice(b"\r\n");
    raw
}

#[test]
fn latin_charsets_decode_accents_and_symbols() {
    let cases: [(&str, &str, &[u8], &str); 6] = [
        (
            "utf-8",
            "8bit",
            "Categoría: Café €4,50".as_bytes(),
            "Categoría: Café €4,50",
        ),
        (
            "iso-8859-1",
            "8bit",
            b"Caf\xe9 y a\xf1o: $4.500",
            "Café y año: $4.500",
        ),
        ("iso-8859-15", "8bit", b"Total \xa4 4,50", "Total € 4,50"),
        (
            "windows-1252",
            "8bit",
            b"Total \x80 4,50 \x96 Pe\xf1a",
            "Total € 4,50 – Peña",
        ),
        (
            "windows-1252",
            "quoted-printable",
            b"Total =80 4,50",
            "Total € 4,50",
        ),
        ("us-ascii", "7bit", b"Total USD 12.00", "Total USD 12.00"),
    ];
    for (charset, transfer_encoding, body, expected) in cases {
        let parsed = parse_raw(&mail(charset, transfer_encoding, body));
        let text = parsed.map(|mail| mail.text).unwrap_or_default();
        assert!(
            text.contains(expected),
            "{charset} ({transfer_encoding}): `{text}` lacks `{expected}`"
        );
    }
}

#[test]
fn east_asian_charset_keeps_its_ascii() {
    // `合計 ¥1,200` in Shift JIS: the kanji and the yen sign are lost, the
    // amount is not.
    let body: &[u8] = b"\x8d\x87\x8cv \x5c1,200 JPY";
    let parsed = parse_raw(&mail("shift_jis", "8bit", body));
    let text = parsed.map(|mail| mail.text).unwrap_or_default();
    assert!(text.contains("1,200 JPY"), "`{text}`");
    assert!(!text.contains('合'), "`{text}` was decoded as Shift JIS");
}
