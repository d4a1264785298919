import SilverLedger

extension DomainState: PreparedProjection {
    /// A rebuild reads meetings, studies delivered at home, visits and study
    /// sessions (86 % of the events of a generated province) for the fields the state keeps, and the
    /// other events whole.
    public typealias Preparer = DomainReplay

    public mutating func apply(prepared: consuming [DomainReplay.PreparedEvent]) {
        var run = prepared
        // Each event moved out, not copied (no reference counting of its
        // arrays and strings), a payload-free one left in its place.
        run.withUnsafeMutableBufferPointer { events in
            guard let base = events.baseAddress else { return }
            for i in events.indices {
                apply(base.advanced(by: i).move())
                base.advanced(by: i).initialize(to: DomainReplay.PreparedEvent(year: 0, form: .unknown))
            }
        }
    }

    private mutating func apply(_ prepared: consuming DomainReplay.PreparedEvent) {
        let year = prepared.year
        // Consumed: the arrays and strings of its form are handed on, not copied.
        switch (consume prepared).form {
        case .meeting(let m):
            organisationalLife.recordMeeting(m.meeting ?? "", of: m.branch, m.kind, on: m.heldOn,
                                             attendances: m.attendances, absentees: m.absentees)
            eventCounts.count(DomainReplay.meetingIndex, in: year)
        case .studyDelivered(let meeting, let cadre):
            organisationalLife.deliverStudy(of: meeting, to: cadre)
            eventCounts.count(DomainReplay.studyDeliveredIndex, in: year)
        case .visit(let cadre, let date, let needs):
            recordVisit(to: cadre, on: date, needs: needs)
            eventCounts.count(DomainReplay.visitIndex, in: year)
        case .studySession(let hours, let date, let attendees):
            study.add(hours, to: attendees, on: date)
            eventCounts.count(DomainReplay.studySessionIndex, in: year)
        case .whole(let event, let name):
            fold(event, named: name, in: year)
        case .unknown:
            break
        }
    }
}

/// Reads the events of a rebuild of ``DomainState``: the four most frequent
/// types (``MeetingRecorded``, ``StudyDeliveredAtHome``, ``VisitLogged``,
/// ``StudySessionRecorded``) for the fields the state keeps, straight from
/// their binary form; every other event decoded whole.
///
/// The fields the state does not keep (topics, notes, the ids of attendees
/// a meeting only counts) are checked as they are skipped (lengths, UTF-8,
/// enum values, nothing left over), so a payload that would not decode whole
/// does not rebuild either. A type read this way is read so only when the
/// store reads its stored version as that very type (not upcast from an
/// older shape).
public struct DomainReplay: EventPreparer {
    /// One event as a rebuild folds it in.
    public struct PreparedEvent: Sendable {
        var year: Int
        var form: Form
    }

    enum Form: Sendable {
        case meeting(Meeting)
        case studyDelivered(meeting: MeetingID, cadre: CadreID)
        case visit(cadre: CadreID, on: LedgerDate, needs: [FoundNeed])
        case studySession(hours: Double, on: LedgerDate, attendees: [CadreID])
        /// Any other event, decoded; `name` is its type's.
        case whole(any Event, name: String)
        /// An event whose type and version the store does not know.
        case unknown
    }

    /// What the state keeps of a meeting: its id only when members missed it.
    struct Meeting: Sendable {
        var branch: BranchID
        var kind: MeetingType
        var heldOn: LedgerDate
        var attendances: Int
        var absentees: [CadreID]
        var meeting: MeetingID?
    }

    /// How a type name seen (by its slot) is read.
    private enum Reading { case meeting, studyDelivered, visit, studySession, whole }
    private struct Remembered {
        var name: String
        var version: Int
        var reading: Reading
        /// The name handed over with an event read whole: a domain type's is
        /// the type's own constant, whose reference count no thread changes
        /// (the record's copy is shared with the reading thread's).
        var handedName: String
    }

    private let types: EventTypes
    private var slots: [Remembered?] = Array(repeating: nil, count: 64)
    /// The year of the last business date seen, and its first and last days
    /// (events come mostly in date order: most need no calendar arithmetic).
    private var year = (number: 0, days: Int32(0)..<Int32(0))
    /// The ids of the meetings read lately, shared by the studies delivered after them.
    private var meetingIDs = MeetingIDCache()
    /// The events read since the last ``take()``.
    private var prepared: [PreparedEvent] = []

    public init(types: EventTypes) { self.types = types }

    public mutating func take() -> [PreparedEvent] {
        defer { prepared = [] }
        return prepared
    }

    public mutating func prepare(_ event: RecordedEvent, typeSlot: Int, decode: () throws -> (any Event)?) throws {
        if prepared.isEmpty { prepared.reserveCapacity(1024) }
        prepared.append(try read(event, typeSlot: typeSlot, decode: decode))
    }

    private mutating func read(_ event: RecordedEvent, typeSlot: Int, decode: () throws -> (any Event)?) throws -> PreparedEvent {
        let reading: Reading
        let handedName: String
        if typeSlot < slots.count, let r = slots[typeSlot], r.version == event.schemaVersion, r.name == event.eventType {
            reading = r.reading
            handedName = r.handedName
        } else {
            reading = readingOf(event)
            handedName = DomainEvents.names.first { $0 == event.eventType } ?? event.eventType
            if typeSlot < slots.count {
                slots[typeSlot] = Remembered(name: event.eventType, version: event.schemaVersion, reading: reading, handedName: handedName)
            }
        }
        let year = self.year(of: event.businessDate)
        if reading == .whole {
            guard let decoded = try decode() else { return PreparedEvent(year: year, form: .unknown) }
            return PreparedEvent(year: year, form: .whole(decoded, name: handedName))
        }
        let form: Form
        do {
            form = try event.withPayloadBytes { bytes throws -> Form in
                var r = BinaryReader(bytes)
                let form: Form
                switch reading {
                case .meeting: form = .meeting(try Self.meeting(&r, &meetingIDs))
                case .studyDelivered: form = try Self.studyDelivered(&r, &meetingIDs)
                case .visit: form = try Self.visit(&r)
                case .studySession: form = try Self.studySession(&r)
                case .whole: preconditionFailure("read whole above")
                }
                guard r.offset == bytes.count else { throw r.corrupted("\(bytes.count - r.offset) bytes left over after the value") }
                return form
            }
        } catch {
            // Decoded whole, a damaged payload names the field at fault; the
            // error of the reading here is reported if the whole one decodes.
            _ = try decode()
            throw error
        }
        return PreparedEvent(year: year, form: form)
    }

    private mutating func year(of date: LedgerDate) -> Int {
        if year.days.contains(date.daysSinceEpoch) { return year.number }
        let number = date.components.year
        if let first = LedgerDate(year: number, month: 1, day: 1), let next = LedgerDate(year: number + 1, month: 1, day: 1) {
            year = (number, first.daysSinceEpoch..<next.daysSinceEpoch)
        }
        return number
    }

    private func readingOf(_ event: RecordedEvent) -> Reading {
        func reads<E: Event>(_ type: E.Type) -> Bool {
            event.eventType == E.eventType && types.reads(E.eventType, version: event.schemaVersion, as: E.self)
        }
        if reads(MeetingRecorded.self) { return .meeting }
        if reads(StudyDeliveredAtHome.self) { return .studyDelivered }
        if reads(VisitLogged.self) { return .visit }
        if reads(StudySessionRecorded.self) { return .studySession }
        return .whole
    }

    // The readers follow the fields of each type's binary form (BinaryForms.swift), in order.

    private static func meeting(_ r: inout BinaryReader, _ meetingIDs: inout MeetingIDCache) throws -> Meeting {
        let id = try r.stringBytes()
        let branch: BranchID = try r.read()
        let kind = try r.rawValue(in: meetingTypes)
        _ = try r.stringBytes()   // topic
        let heldOn: LedgerDate = try r.read()
        let attendances = try r.count()
        for _ in 0..<attendances { _ = try r.stringBytes() }
        let absences = try r.count()
        var absentees: [CadreID] = []
        if absences > 0 {
            absentees.reserveCapacity(absences)
            for _ in 0..<absences {
                absentees.append(try r.read())
                _ = try r.stringBytes()   // reason
            }
        }
        return Meeting(branch: branch, kind: kind, heldOn: heldOn, attendances: attendances, absentees: absentees,
                       meeting: absences > 0 ? meetingIDs.id(checkedUTF8: id) : nil)
    }

    private static func studyDelivered(_ r: inout BinaryReader, _ meetingIDs: inout MeetingIDCache) throws -> Form {
        let meeting = meetingIDs.id(checkedUTF8: try r.stringBytes())
        _ = try r.stringBytes()   // branch
        let cadre: CadreID = try r.read()
        let _: LedgerDate = try r.read()   // heldOn
        let _: LedgerDate = try r.read()   // deliveredOn
        return .studyDelivered(meeting: meeting, cadre: cadre)
    }

    private static func visit(_ r: inout BinaryReader) throws -> Form {
        _ = try r.stringBytes()   // visit
        let cadre: CadreID = try r.read()
        _ = try r.rawValue(in: visitKinds)
        _ = try r.rawValue(in: visitChannels)
        let visitors = try r.count()
        for _ in 0..<visitors { _ = try r.stringBytes() }
        _ = try r.stringBytes()   // notes
        let needs: [FoundNeed] = try r.read()
        let visitedOn: LedgerDate = try r.read()
        return .visit(cadre: cadre, on: visitedOn, needs: needs)
    }

    private static func studySession(_ r: inout BinaryReader) throws -> Form {
        _ = try r.stringBytes()   // session
        _ = try r.stringBytes()   // organiser
        _ = try r.rawValue(in: studyFormats)
        _ = try r.stringBytes()   // topic
        let heldOn: LedgerDate = try r.read()
        let hours: Double = try r.read()
        let attendees: [CadreID] = try r.read()
        return .studySession(hours: hours, on: heldOn, attendees: attendees)
    }

    private static let meetingTypes = RawValueTable(MeetingType.self)
    private static let visitKinds = RawValueTable(VisitKind.self)
    private static let visitChannels = RawValueTable(VisitChannel.self)
    private static let studyFormats = RawValueTable(StudyFormat.self)

    static let meetingIndex = index(of: MeetingRecorded.self)
    static let studyDeliveredIndex = index(of: StudyDeliveredAtHome.self)
    static let visitIndex = index(of: VisitLogged.self)
    static let studySessionIndex = index(of: StudySessionRecorded.self)

    private static func index(of type: any DomainEvent.Type) -> Int {
        DomainEvents.byType[ObjectIdentifier(type)]!.index
    }
}
