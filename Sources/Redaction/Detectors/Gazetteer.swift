/// The built-in word lists: names and places (generated from Faker's locale lists, see
/// `GazetteerData.swift`), month names, titles, and the everyday words that make a name ambiguous.
enum Gazetteer {
    /// Month names per month (1…12) in English, German, French, Spanish, Italian and Dutch, with
    /// abbreviations.
    static let months: [[String]] = [
        ["January", "Jan", "Januar", "Jänner", "janvier", "enero", "gennaio", "januari"],
        ["February", "Feb", "Februar", "février", "fevrier", "febrero", "febbraio", "februari"],
        ["March", "Mar", "März", "Maerz", "mars", "marzo", "maart"],
        ["April", "Apr", "avril", "abril", "aprile"],
        ["May", "Mai", "mai", "mayo", "maggio", "mei"],
        ["June", "Jun", "Juni", "juin", "junio", "giugno", "juni"],
        ["July", "Jul", "Juli", "juillet", "julio", "luglio", "juli"],
        ["August", "Aug", "août", "aout", "agosto", "augustus"],
        ["September", "Sep", "Sept", "septembre", "septiembre", "settembre"],
        ["October", "Oct", "Oktober", "Okt", "octobre", "octubre", "ottobre", "oktober"],
        ["November", "Nov", "novembre", "noviembre"],
        ["December", "Dec", "Dezember", "Dez", "décembre", "decembre", "diciembre", "dicembre", "december"],
    ]

    static let titles = [
        "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "Herr", "Frau", "Mme", "Mlle",
        "Monsieur", "Madame", "Sr", "Sra", "Srta", "Don", "Doña", "Sig", "Signor", "Signora", "Dhr", "Mevr",
    ]

    /// Capitalised words that never start or continue a name.
    static let stopWords = """
        The A An I I'm I'll I've I'd We You He She It They My Our Your His Her Its Their This That These Those \
        And But Or Nor So Yet If When While Where What Who Why How Which Please Thanks Thank Hi Hello Hey Dear \
        Yes No Not Ok Okay Sure Sorry Also Then There Here Now Today Tomorrow Yesterday Just Can Could Would \
        Should Will Shall Must May Might Do Does Did Is Are Was Were Be Been Have Has Had Let Lets Let's Get Got \
        Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Wed Thu Fri Sat Sun \
        Order Invoice Account Card Customer Ticket Street Road Avenue Lane Drive Court Bank Inc Ltd LLC GmbH \
        Team Support Manager Service Services Company Group University College School Hospital Hotel Airport \
        Station Park Center Centre North South East West New Old Great Little Big St Saint Mount Lake River \
        Re Fwd Subject From To Cc Bcc Sent Date Regards Best Cheers Kind Many Welcome Congrats Happy Merry \
        Christmas Easter Please Urgent Note Update Meeting Call Email Phone Mobile Address Name Number Total \
        Payment Refund Delivery Shipping Tracking Version Release Build Error Warning Info Debug API URL ID \
        English French German Spanish Italian Dutch Indian American British European Chinese Japanese \
        OK FYI ASAP EOD ETA PS NB Mr Mrs Ms Dr
        """

    /// Names and places that are also everyday words: reported only with context.
    static let ambiguousWords = """
        Will May June April August Mark Bill Rose Grace Hope Faith Joy Summer Autumn Dawn Art Guy Jack Frank \
        Gene Ray Ed Sue Pat Rich Sky Star King Young Page Long Brown White Black Green Gray Grey Baker Cook Hunter \
        Price Rice Wood Bay Hill Field Ford Lane Bell Case Chase Cole Dean Drew Glen Grant Hall Holly Iris Ivy \
        Jade Jay Jean Jewel Lily Max Miles Penny Pearl Reed Rusty Sandy Skip Stone Will Win Wren Amber Angel \
        Autumn Basil Bean Brook Buck Candy Carol Cliff Crystal Daisy Destiny Dusty Earl Ernest Fern Flora Gale \
        Heath Herb Honey Hunter Hugh Kit Lane Lark Luck Major Marsh Mason Misty Nick Noble Norm Olive Pierce \
        Poppy Rob Robin Rocky Roman Royal Ruby Sage Scout Serena Sterling Storm Sunny Tanner Taylor True Violet \
        Walker Ward West Wolf Young Zion Nice Mobile Reading Bath Split Orange Florence Victoria Georgia \
        Jordan Chad Turkey China Jersey Guinea Kent Essen Hof Bad Halle Wedding Mark Hope Marine Valencia \
        Paris Sydney Austin Jackson Madison Charlotte Lincoln Chester Phoenix Aurora Salem Troy Homer Lafayette \
        Dallas Denver Houston Orlando Washington Chelsea Hampton Arlington Regina Columbia Bristol Albany \
        Santiago Lima Perth Wellington Victoria Adelaide Alexandria Florence Geneva Vienna Sofia Andorra \
        Chance Case Christian Constance Destiny Harmony Justice Liberty Mercy Patience Prudence Trinity Unity \
        Van Von De Del Della Le La Di Da Dos Das Der Den
        """

    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    /// Builds the word table: the built-in lists (unless disabled) plus the policy's additions.
    static func build(policy: RedactionPolicy) -> WordTable {
        var table = WordTable(capacityHint: 16_384)
        for (i, names) in months.enumerated() {
            _ = i
            for name in names {
                table.insert(name, .month)
                if let f = name.first, f.isLowercase {
                    table.insert(name.prefix(1).uppercased() + name.dropFirst(), .month)
                }
                // "5-MAY-2021", "15 JULY 1982"
                table.insert(name.uppercased(), .month)
            }
        }
        for t in titles { table.insert(t, .title) }
        let stops = Set(stopWords.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        let ambiguous = Set(ambiguousWords.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        func add(_ name: String, _ flag: WordFlags) {
            // A stop word is never a first name or a place, but may be a surname ("James Little").
            if stops.contains(name) && flag != .lastName { return }
            var f = flag
            if ambiguous.contains(name) { f.insert(.ambiguous) }
            let words = name.split(separator: " ")
            if words.count > 1 {
                if flag == .location {
                    // Every leading sub-phrase is a prefix of the full name.
                    var prefix = ""
                    for w in words.dropLast() {
                        prefix = prefix.isEmpty ? String(w) : prefix + " " + w
                        table.insert(prefix, .locationPrefix)
                    }
                    table.insert(name, f)
                }
                return
            }
            table.insert(name, f)
        }
        if policy.useBuiltInGazetteer {
            for n in lines(firstNamesText) { add(String(n), .firstName) }
            for n in lines(lastNamesText) { add(String(n), .lastName) }
            for n in lines(locationsText) { add(String(n), .location) }
        }
        for n in policy.extraFirstNames { add(n, .firstName) }
        for n in policy.extraLastNames { add(n, .lastName) }
        for n in policy.extraLocations { add(n, .location) }
        for s in stops where table.lookup(s) & (WordFlags.month.rawValue | WordFlags.title.rawValue) == 0 {
            // Surname-only stop words stay stop words at the start of a phrase; `personFrom` reads the
            // surname flag on the second word.
            table.insert(s, .stop)
        }
        return table
    }
}
