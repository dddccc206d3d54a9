import JSON

/// One of the three shipped topologies' inputs: where its records go, and which attributes the
/// generator sets on each record (the groups a fairness drift can name).
public enum Scenario: String, CaseIterable, Sendable {
    case chats, finance, clicks

    /// The shipped topology file that consumes this scenario, relative to `Topologies/`.
    public var topologyFile: String { "\(rawValue).yaml" }

    /// The topology's input topic.
    public var inputTopic: String { self == .finance ? "finance-posts" : rawValue }

    /// The sensitive attributes the generator draws uniformly for each record, with their values.
    public var attributes: [(name: String, values: [String])] {
        switch self {
        case .chats: [("region", ["north", "south", "east", "west"])]
        case .finance: [("language", ["en", "de", "fr"])]
        case .clicks: [("country", Words.countries), ("device", Words.devices)]
        }
    }

    /// The field naming the person (the topology's `privacy.user_field`) and its values' prefix.
    public var userField: (name: String, prefix: String) {
        switch self {
        case .chats: ("customer_id", "cust")
        case .finance: ("author_id", "auth")
        case .clicks: ("user_id", "user")
        }
    }

    /// The record's id prefix, as in `Topologies/samples/`.
    var idPrefix: String {
        switch self {
        case .chats: "c"
        case .finance: "p"
        case .clicks: "i"
        }
    }

    /// A record of this scenario without its id and event time. `leaning` draws the content the
    /// shipped model tends to decide positively (an angry chat, a bullish post, a click-prone slot);
    /// the generator still checks the model's actual decision. Members are in the samples' order.
    func content(
        group: [String: String], leaning: Bool, random: inout SeededRandom
    ) -> [(key: String, value: JSONValue)] {
        switch self {
        case .chats:
            return [
                ("channel", .string(random.pick(["web", "app", "email"]))),
                ("message", .string(Words.chatMessage(escalated: leaning, random: &random))),
                ("escalated", .number(leaning ? "1" : "0")),
                ("region", .string(group["region"]!)),
            ]
        case .finance:
            return [
                ("source", .string(random.pick(Words.sources))),
                ("text", .string(Words.financePost(positive: leaning, random: &random))),
                ("sentiment", .number(leaning ? "1" : "0")),
                ("language", .string(group["language"]!)),
            ]
        case .clicks:
            return Words.impression(
                country: group["country"]!, device: group["device"]!, leaning: leaning, random: &random)
        }
    }
}
