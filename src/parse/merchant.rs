//! A built-in list of common merchants in Latin America and the US, matched
//! as whole words in a description.

use super::token::fold;

/// Known merchants as `(spelling, name)`: every spelling is folded and
/// written with spaces between words; the name is what is stored. Longer
/// spellings come before shorter ones they contain (`uber eats` before
/// `uber`). Words that are also common words (`dia`, `paris`, `easy`) are
/// left out, because a match there would usually be wrong.
const MERCHANTS: &[(&str, &str)] = &[
    // Rides and delivery.
    ("uber eats", "uber eats"),
    ("ubereats", "uber eats"),
    ("uber", "uber"),
    ("didi food", "didi food"),
    ("didi", "didi"),
    ("cabify", "cabify"),
    ("lyft", "lyft"),
    ("indrive", "indrive"),
    ("rappi", "rappi"),
    ("pedidos ya", "pedidosya"),
    ("pedidosya", "pedidosya"),
    ("doordash", "doordash"),
    ("ifood", "ifood"),
    // Supermarkets and stores.
    ("jumbo", "jumbo"),
    ("lider", "lider"),
    ("unimarc", "unimarc"),
    ("santa isabel", "santa isabel"),
    ("tottus", "tottus"),
    ("acuenta", "acuenta"),
    ("oxxo", "oxxo"),
    ("walmart", "walmart"),
    ("bodega aurrera", "bodega aurrera"),
    ("soriana", "soriana"),
    ("chedraui", "chedraui"),
    ("costco", "costco"),
    ("sams club", "sams club"),
    ("carrefour", "carrefour"),
    ("coto", "coto"),
    ("exito", "exito"),
    ("olimpica", "olimpica"),
    ("falabella", "falabella"),
    ("ripley", "ripley"),
    ("sodimac", "sodimac"),
    ("home depot", "home depot"),
    ("target", "target"),
    ("whole foods", "whole foods"),
    ("trader joes", "trader joes"),
    ("trader joe s", "trader joes"),
    ("7 eleven", "7-eleven"),
    ("seven eleven", "7-eleven"),
    ("ikea", "ikea"),
    ("amazon", "amazon"),
    ("mercado libre", "mercadolibre"),
    ("mercadolibre", "mercadolibre"),
    ("aliexpress", "aliexpress"),
    ("shein", "shein"),
    ("temu", "temu"),
    // Food and coffee.
    ("starbucks", "starbucks"),
    ("mcdonalds", "mcdonalds"),
    ("mcdonald s", "mcdonalds"),
    ("mc donalds", "mcdonalds"),
    ("burger king", "burger king"),
    ("subway", "subway"),
    ("kfc", "kfc"),
    ("dominos", "dominos"),
    ("domino s", "dominos"),
    ("juan valdez", "juan valdez"),
    ("chipotle", "chipotle"),
    // Subscriptions.
    ("netflix", "netflix"),
    ("spotify", "spotify"),
    ("disney plus", "disney+"),
    ("disney", "disney+"),
    ("hbo max", "max"),
    ("prime video", "prime video"),
    ("youtube premium", "youtube premium"),
    ("apple", "apple"),
    ("icloud", "apple"),
    ("google", "google"),
    ("steam", "steam"),
    ("chatgpt", "openai"),
    ("openai", "openai"),
    ("airbnb", "airbnb"),
    // Fuel.
    ("copec", "copec"),
    ("shell", "shell"),
    ("petrobras", "petrobras"),
    ("aramco", "aramco"),
    ("ypf", "ypf"),
    ("axion", "axion"),
    ("pemex", "pemex"),
    ("terpel", "terpel"),
    // Pharmacies.
    ("farmacias ahumada", "farmacias ahumada"),
    ("farmacia ahumada", "farmacias ahumada"),
    ("ahumada", "farmacias ahumada"),
    ("cruz verde", "cruz verde"),
    ("salcobrand", "salcobrand"),
    ("dr simi", "farmacias similares"),
    ("farmacias similares", "farmacias similares"),
    ("farmacias del ahorro", "farmacias del ahorro"),
    ("farmacity", "farmacity"),
    ("cvs", "cvs"),
    ("walgreens", "walgreens"),
];

/// Finds the known merchant named in `description`. When several are
/// named, the one that appears first in the text wins.
pub(super) fn find_merchant(description: &str) -> Option<String> {
    let words: String = fold(description)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let padded = format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    );

    MERCHANTS
        .iter()
        .filter_map(|&(spelling, name)| {
            let position = padded
                .match_indices(spelling)
                .map(|(position, _)| position)
                .find(|&position| {
                    padded[..position].ends_with(' ')
                        && padded[position + spelling.len()..].starts_with(' ')
                })?;
            Some((position, spelling.len(), name))
        })
        // Earliest first, then the longest spelling at that position.
        .min_by_key(|&(position, length, _)| (position, usize::MAX - length))
        .map(|(_, _, name)| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchants_match_whole_words() {
        let cases = [
            ("uber al aeropuerto", Some("uber")),
            ("Uber Eats sushi", Some("uber eats")),
            ("farmacia ahumada remedios", Some("farmacias ahumada")),
            ("Cruz Verde", Some("cruz verde")),
            ("compra en mercado libre", Some("mercadolibre")),
            ("McDonald's", Some("mcdonalds")),
            ("7-Eleven snacks", Some("7-eleven")),
            ("Líder", Some("lider")),
            ("superuber", None),
            ("almuerzo", None),
        ];
        for (description, expected) in cases {
            assert_eq!(
                find_merchant(description).as_deref(),
                expected,
                "{description}"
            );
        }
    }

    #[test]
    fn earliest_merchant_wins() {
        assert_eq!(
            find_merchant("starbucks y luego uber").as_deref(),
            Some("starbucks")
        );
    }

    #[test]
    fn list_has_at_least_forty_merchants() {
        let mut names: Vec<&str> = MERCHANTS.iter().map(|&(_, name)| name).collect();
        names.sort_unstable();
        names.dedup();
        assert!(names.len() >= 40, "only {} merchants", names.len());
    }
}
