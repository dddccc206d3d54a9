import Foundation
import JSON

/// The generator's vocabulary: the phrases of `scripts/scoring/generate_data.py` (what the shipped
/// models were trained on) plus German and Japanese sentences, and the personal data planted in texts.
/// Every name, address and number is synthetic.
enum Words {
    static let chatCalm = [
        "thanks for the quick help", "my order arrived today", "how do I change my address",
        "can you resend the invoice", "great service as always", "merci beaucoup pour l'aide",
        "danke für die schnelle Antwort", "the café voucher worked", "just checking the delivery date",
        "please update my email", "ありがとうございます", "all good now 👍", "die Lieferung kam heute an",
        "配達日を教えてください", "vielen Dank, alles erledigt",
    ]
    static let chatAngry = [
        "this is the third time I am asking", "I want to speak to a manager", "cancel my subscription now",
        "you charged me twice", "unacceptable delay again", "I will file a complaint", "refund immediately",
        "worst support ever", "ΑΠΑΡΆΔΕΚΤΟ ΣΦΆΛΜΑ ΣΤΟΝ ΛΟΓΑΡΙΑΣΜΌ", "İADE İSTİYORUM", "Straße ist falsch, ÄRGERLICH",
        "nobody answers 😡", "my lawyer will contact you", "Ich will sofort mein Geld zurück",
        "返金してください、対応が遅すぎます",
    ]
    static let filler = [
        "hello", "hi", "order", "account", "today", "please", "again", "naïve question", "über", "ok", "id", "x",
    ]

    static let financePositive = [
        "beats estimates", "record revenue", "strong guidance", "upgrade to buy", "dividend raised",
        "bullish breakout", "all-time high 🚀", "croissance solide", "Gewinn übertrifft Erwartungen", "増益を発表",
    ]
    static let financeNegative = [
        "misses estimates", "profit warning", "downgrade to sell", "guidance cut", "bearish divergence",
        "lawsuit filed", "bankruptcy risk 📉", "chute des ventes", "Verlust ausgeweitet", "業績予想を下方修正",
    ]
    static let tickers = ["ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI", "ΑΛΦΑ", "東京電力"]
    static let financeFiller = ["today", "Q3", "shares", "stock", "market", "$", "news", "après", "morgen"]
    static let sources = ["forum", "newswire", "microblog", "blog"]

    static let countries = ["de", "fr", "us", "jp", "tr", "gr", "br"]
    static let devices = ["mobile", "desktop", "tablet"]
    static let categories = ["shoes", "books", "games", "garden", "music", "toys"]
    static let slots = ["top", "side", "feed", "footer"]

    static let names = [
        "Jane Doe", "Max Mustermann", "Marie Dupont", "Yuki Tanaka", "Ayşe Yılmaz", "Jürgen Schäfer",
        "Erika Musterfrau",
        "Hiroshi Sato",
    ]

    /// A chat in the way `generate_data.chat` writes one, with personal data planted in three of ten.
    static func chatMessage(escalated: Bool, random: inout SeededRandom) -> String {
        var parts = (0..<random.integer(in: 1...3)).map { _ in random.pick(escalated ? chatAngry : chatCalm) }
        if random.chance(0.25) {  // label noise: calm words in an escalated chat and vice versa
            parts.append(random.pick(escalated ? chatCalm : chatAngry))
        }
        parts += sample(filler, count: random.integer(in: 1...4), random: &random)
        shuffle(&parts, random: &random)
        var text = parts.joined(separator: " ")
        if random.chance(0.3) { text = text.uppercased() }
        if random.chance(0.3) { text += " " + personalData(random: &random) }
        return text
    }

    /// A market post in the way `generate_data.finance` writes one; one in ten names an account.
    static func financePost(positive: Bool, random: inout SeededRandom) -> String {
        var words = [random.pick(tickers)]
        words += (0..<random.integer(in: 1...2)).map { _ in random.pick(positive ? financePositive : financeNegative) }
        if random.chance(0.2) { words.append(random.pick(positive ? financeNegative : financePositive)) }
        words += sample(financeFiller, count: 2, random: &random)
        shuffle(&words, random: &random)
        var text = words.joined(separator: " ")
        if random.chance(0.1) {
            text +=
                random.chance(0.5)
                ? " — Einzahlungen bitte auf \(iban(random: &random))"
                : " card \(random.pick(cards)) for the subscription"
        }
        return text
    }

    /// An ad impression as `generate_data.click` draws one, with its ground-truth click from the same
    /// logistic rule. Leaning draws the top slots, games and toys in the evening, and low prices,
    /// where the model predicts clicks.
    static func impression(
        country: String, device: String, leaning: Bool, random: inout SeededRandom
    ) -> [(key: String, value: JSONValue)] {
        let category = leaning ? random.pick(["games", "toys"]) : random.pick(categories)
        let slot = leaning ? "top" : random.pick(slots)
        let position = leaning ? random.integer(in: 1...2) : random.integer(in: 1...10)
        let price = (random.logNormal(mu: leaning ? 1 : 3, sigma: 1) * 100).rounded() / 100
        let userAge = leaning ? random.integer(in: 1000...2000) : random.integer(in: 0...2000)
        let hour = leaning ? random.integer(in: 18...23) : random.integer(in: 0...23)
        var logit = -1.5 - 0.25 * Double(position) + (slot == "top" ? 0.8 : 0) + (device == "mobile" ? 0.5 : 0)
        logit += ["games", "toys"].contains(category) && hour >= 18 ? 0.6 : 0
        logit -= 0.004 * min(price, 300) - 0.0003 * Double(userAge)
        let clicked = random.chance(1 / (1 + exp(-logit)))
        return [
            ("country", .string(country)), ("device", .string(device)), ("category", .string(category)),
            ("slot", .string(slot)), ("position", .number(String(position))), ("price", .double(price)),
            ("user_age_days", .number(String(userAge))), ("hour", .number(String(hour))),
            ("clicked", .number(clicked ? "1" : "0")),
        ]
    }

    static let cards = ["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009"]

    /// One piece of personal data, in one of the forms customers write it.
    static func personalData(random: inout SeededRandom) -> String {
        let name = random.pick(names)
        let email = emailAddress(for: name)
        switch random.integer(in: 0...6) {
        case 0: return "— \(name), \(email)"
        case 1: return "call me on +44 20 7946 \(random.integer(in: 1000...9999))"
        case 2: return "Rückruf bitte unter +49 30 \(random.integer(in: 1_000_000...9_999_999)), \(name)"
        case 3: return "電話番号は 090-\(random.integer(in: 1000...9999))-\(random.integer(in: 1000...9999)) です"
        case 4: return "bitte auf \(iban(random: &random)) zurücküberweisen"
        case 5: return "card \(random.pick(cards)) was charged"
        default: return "メール: \(email)"
        }
    }

    static func emailAddress(for name: String) -> String {
        let local = name.lowercased().replacingOccurrences(of: " ", with: ".")
        return String(local.unicodeScalars.filter(\.isASCII).map(Character.init)) + "@example.com"
    }

    /// A German IBAN with valid check digits (ISO 13616: mod 97 of the rearranged number is 1),
    /// printed in groups of four.
    static func iban(random: inout SeededRandom) -> String {
        let bban = (0..<18).map { _ in String(random.integer(in: 0...9)) }.joined()
        // "DE" is 13 14; with check digits 00 at the end: BBAN + 1314 00.
        var remainder = 0
        for digit in (bban + "131400").utf8 { remainder = (remainder * 10 + Int(digit - UInt8(ascii: "0"))) % 97 }
        let check = 98 - remainder
        let compact = "DE" + (check < 10 ? "0" : "") + String(check) + bban
        var grouped = ""
        for (offset, character) in compact.enumerated() {
            if offset > 0, offset % 4 == 0 { grouped.append(" ") }
            grouped.append(character)
        }
        return grouped
    }

    /// `count` distinct elements in random order (Python's `random.sample`).
    static func sample<T>(_ items: [T], count: Int, random: inout SeededRandom) -> [T] {
        var pool = items
        shuffle(&pool, random: &random)
        return Array(pool.prefix(count))
    }

    /// Fisher–Yates with the seeded generator (the standard library's `shuffle(using:)` does not
    /// promise the same order across Swift versions).
    static func shuffle<T>(_ items: inout [T], random: inout SeededRandom) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, random.integer(in: 0...index))
        }
    }
}
