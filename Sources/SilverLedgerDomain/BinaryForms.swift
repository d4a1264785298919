import SilverLedger

// The binary forms of the domain's events (see `BinaryCodable`): each reads
// and writes its fields in declaration order, the bytes its `Codable`
// conformance gives, without `Codable`'s dynamic dispatch. Rebuilds and
// appends use these; `BinaryFormTests` checks that both forms agree for every
// event type. A field added to an event is added here too, in its place.

extension Identifier: BinaryCodable {
    @inlinable public init(reading reader: inout BinaryReader) throws { rawValue = try reader.string() }
    @inlinable public func write(to writer: inout BinaryWriter) { writer.string(rawValue) }
}

// MARK: Cadre events

extension CadreCategory: BinaryCodable {}
extension FormerLevel: BinaryCodable {}

extension CadreRegistered: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        name = try reader.read()
        category = try reader.read()
        birthDate = try reader.read()
        formerLevel = try reader.read()
        formerUnit = try reader.read()
        retiredOn = try reader.read()
        residence = try reader.read()
        registeredOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(name)
        writer.write(category)
        writer.write(birthDate)
        writer.write(formerLevel)
        writer.write(formerUnit)
        writer.write(retiredOn)
        writer.write(residence)
        writer.write(registeredOn)
    }
}

extension PartyMembershipRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        joinedOn = try reader.read()
        fullMemberOn = try reader.read()
        recordedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(joinedOn)
        writer.write(fullMemberOn)
        writer.write(recordedOn)
    }
}

extension PartyMembershipCorrected: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        previousJoinedOn = try reader.read()
        previousFullMemberOn = try reader.read()
        joinedOn = try reader.read()
        fullMemberOn = try reader.read()
        reason = try reader.read()
        correctedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(previousJoinedOn)
        writer.write(previousFullMemberOn)
        writer.write(joinedOn)
        writer.write(fullMemberOn)
        writer.write(reason)
        writer.write(correctedOn)
    }
}

extension DeathRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        diedOn = try reader.read()
        recordedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(diedOn)
        writer.write(recordedOn)
    }
}

// MARK: CadreChange events

extension ResidenceChanged: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        previousResidence = try reader.read()
        residence = try reader.read()
        changedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(previousResidence)
        writer.write(residence)
        writer.write(changedOn)
    }
}

extension RelocationMarked: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        relocated = try reader.read()
        area = try reader.read()
        markedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(relocated)
        writer.write(area)
        writer.write(markedOn)
    }
}

extension HealthChanged: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        frail = try reader.read()
        limitedMobility = try reader.read()
        changedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(frail)
        writer.write(limitedMobility)
        writer.write(changedOn)
    }
}

extension HonourableRetirementRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        honouredOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(honouredOn)
    }
}

// MARK: Branch events

extension BranchType: BinaryCodable {}
extension BranchRole: BinaryCodable {}

extension BranchEstablished: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        name = try reader.read()
        kind = try reader.read()
        parentOrganisation = try reader.read()
        establishedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(name)
        writer.write(kind)
        writer.write(parentOrganisation)
        writer.write(establishedOn)
    }
}

extension MemberAdded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        cadre = try reader.read()
        addedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(cadre)
        writer.write(addedOn)
    }
}

extension MemberRemoved: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        cadre = try reader.read()
        reason = try reader.read()
        removedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(cadre)
        writer.write(reason)
        writer.write(removedOn)
    }
}

extension MemberTransferred: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        from = try reader.read()
        to = try reader.read()
        transferredOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(from)
        writer.write(to)
        writer.write(transferredOn)
    }
}

extension OfficerElected: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        role = try reader.read()
        cadre = try reader.read()
        electedOn = try reader.read()
        termYears = try reader.read()
        entitled = try reader.read()
        present = try reader.read()
        votesFor = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(role)
        writer.write(cadre)
        writer.write(electedOn)
        writer.write(termYears)
        writer.write(entitled)
        writer.write(present)
        writer.write(votesFor)
    }
}

extension BranchDissolved: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        dissolvedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(dissolvedOn)
    }
}

// MARK: BranchWork events

extension DemonstrationLevel: BinaryCodable {}
extension DemonstrationReviewOutcome: BinaryCodable {}

extension LiaisonAppointed: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        name = try reader.read()
        unit = try reader.read()
        asDeputySecretary = try reader.read()
        appointedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(name)
        writer.write(unit)
        writer.write(asDeputySecretary)
        writer.write(appointedOn)
    }
}

extension DemonstrationDesignated: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        batch = try reader.read()
        level = try reader.read()
        designatedOn = try reader.read()
        previousLevel = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(batch)
        writer.write(level)
        writer.write(designatedOn)
        writer.write(previousLevel)
    }
}

extension DemonstrationReviewed: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        outcome = try reader.read()
        reviewedOn = try reader.read()
        dueOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(outcome)
        writer.write(reviewedOn)
        writer.write(dueOn)
    }
}

extension BrandRegistered: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        name = try reader.read()
        method = try reader.read()
        registeredOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(name)
        writer.write(method)
        writer.write(registeredOn)
    }
}

// MARK: Organisational life events

extension MeetingType: BinaryCodable {}
extension EvaluationRating: BinaryCodable {}

extension MeetingAbsence: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        reason = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(reason)
    }
}

extension MeetingRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        meeting = try reader.read()
        branch = try reader.read()
        kind = try reader.read()
        topic = try reader.read()
        heldOn = try reader.read()
        attendees = try reader.read()
        absentees = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(meeting)
        writer.write(branch)
        writer.write(kind)
        writer.write(topic)
        writer.write(heldOn)
        writer.write(attendees)
        writer.write(absentees)
    }
}

extension StudyDeliveredAtHome: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        meeting = try reader.read()
        branch = try reader.read()
        cadre = try reader.read()
        heldOn = try reader.read()
        deliveredOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(meeting)
        writer.write(branch)
        writer.write(cadre)
        writer.write(heldOn)
        writer.write(deliveredOn)
    }
}

extension DemocraticEvaluationRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        cadre = try reader.read()
        year = try reader.read()
        rating = try reader.read()
        evaluatedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(cadre)
        writer.write(year)
        writer.write(rating)
        writer.write(evaluatedOn)
    }
}

// MARK: Study events

extension StudyFormat: BinaryCodable {}

extension StudySessionRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        session = try reader.read()
        organiser = try reader.read()
        format = try reader.read()
        topic = try reader.read()
        heldOn = try reader.read()
        hours = try reader.read()
        attendees = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(session)
        writer.write(organiser)
        writer.write(format)
        writer.write(topic)
        writer.write(heldOn)
        writer.write(hours)
        writer.write(attendees)
    }
}

extension QuizResultRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        quiz = try reader.read()
        score = try reader.read()
        takenOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(quiz)
        writer.write(score)
        writer.write(takenOn)
    }
}

// MARK: Visit events

extension VisitKind: BinaryCodable {}
extension VisitChannel: BinaryCodable {}
extension NeedKind: BinaryCodable {}

extension FoundNeed: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        id = try reader.read()
        kind = try reader.read()
        description = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(id)
        writer.write(kind)
        writer.write(description)
    }
}

extension VisitLogged: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        visit = try reader.read()
        cadre = try reader.read()
        kind = try reader.read()
        channel = try reader.read()
        visitors = try reader.read()
        notes = try reader.read()
        needs = try reader.read()
        visitedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(visit)
        writer.write(cadre)
        writer.write(kind)
        writer.write(channel)
        writer.write(visitors)
        writer.write(notes)
        writer.write(needs)
        writer.write(visitedOn)
    }
}

extension NeedFollowedUp: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        need = try reader.read()
        action = try reader.read()
        resolved = try reader.read()
        followedUpOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(need)
        writer.write(action)
        writer.write(resolved)
        writer.write(followedUpOn)
    }
}

// MARK: Care events

extension CarePlanCreated: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        contact = try reader.read()
        measures = try reader.read()
        createdOn = try reader.read()
        replaces = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(contact)
        writer.write(measures)
        writer.write(createdOn)
        writer.write(replaces)
    }
}

extension CarePlanCreated.Replaced: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        contact = try reader.read()
        createdOn = try reader.read()
        reason = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(contact)
        writer.write(createdOn)
        writer.write(reason)
    }
}

extension HardshipAssistanceRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        amountFen = try reader.read()
        purpose = try reader.read()
        assistedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(amountFen)
        writer.write(purpose)
        writer.write(assistedOn)
    }
}

extension HomeCareServiceRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        service = try reader.read()
        servedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(service)
        writer.write(servedOn)
    }
}

extension HomeAdaptationRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        adaptation = try reader.read()
        completedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(adaptation)
        writer.write(completedOn)
    }
}

// MARK: Honour events

extension HonourTitle: BinaryCodable {}
extension HonourLevel: BinaryCodable {}

extension Medal50Awarded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        awardedOn = try reader.read()
        standingYears = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(awardedOn)
        writer.write(standingYears)
    }
}

extension PoliticalBirthdayRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        organiser = try reader.read()
        heldOn = try reader.read()
        yearsSinceJoining = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(organiser)
        writer.write(heldOn)
        writer.write(yearsSinceJoining)
    }
}

extension HonourRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        branch = try reader.read()
        title = try reader.read()
        level = try reader.read()
        year = try reader.read()
        awardedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(branch)
        writer.write(title)
        writer.write(level)
        writer.write(year)
        writer.write(awardedOn)
    }
}

// MARK: Contribution events

extension TalentRegistered: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        expertise = try reader.read()
        registeredOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(expertise)
        writer.write(registeredOn)
    }
}

extension WorkstationEstablished: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        workstation = try reader.read()
        unit = try reader.read()
        establishedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(workstation)
        writer.write(unit)
        writer.write(establishedOn)
    }
}

extension VolunteerTeamFormed: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        team = try reader.read()
        name = try reader.read()
        formedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(team)
        writer.write(name)
        writer.write(formedOn)
    }
}

extension VolunteerTeamJoined: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        team = try reader.read()
        cadre = try reader.read()
        joinedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(team)
        writer.write(cadre)
        writer.write(joinedOn)
    }
}

extension VolunteerServiceRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        team = try reader.read()
        participants = try reader.read()
        activity = try reader.read()
        servedOn = try reader.read()
        hours = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(team)
        writer.write(participants)
        writer.write(activity)
        writer.write(servedOn)
        writer.write(hours)
    }
}

extension StudioEstablished: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        studio = try reader.read()
        name = try reader.read()
        lead = try reader.read()
        establishedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(studio)
        writer.write(name)
        writer.write(lead)
        writer.write(establishedOn)
    }
}

extension LectureRecorded: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        lecture = try reader.read()
        speaker = try reader.read()
        topic = try reader.read()
        audience = try reader.read()
        heldOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(lecture)
        writer.write(speaker)
        writer.write(topic)
        writer.write(audience)
        writer.write(heldOn)
    }
}

// MARK: Mobile member events

extension OutflowRegistered: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        fromBranch = try reader.read()
        destination = try reader.read()
        reason = try reader.read()
        since = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(fromBranch)
        writer.write(destination)
        writer.write(reason)
        writer.write(since)
    }
}

extension InflowAccepted: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        fromBranch = try reader.read()
        receivingOrganisation = try reader.read()
        since = try reader.read()
        acceptedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(fromBranch)
        writer.write(receivingOrganisation)
        writer.write(since)
        writer.write(acceptedOn)
    }
}

extension MobileMemberReturned: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        cadre = try reader.read()
        fromBranch = try reader.read()
        since = try reader.read()
        returnedOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(cadre)
        writer.write(fromBranch)
        writer.write(since)
        writer.write(returnedOn)
    }
}

// MARK: The register's records, for snapshots
//
// A snapshot of `DomainState` is read with `BinaryDecoder(usesOwnBinaryForms:
// true)`: these forms replace `Codable`'s dispatch per field for the state's
// largest tables, with the same bytes (`StateBinaryFormTests` checks both agree).

extension CadreRecord.Membership: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        joinedOn = try reader.read()
        fullMemberOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(joinedOn)
        writer.write(fullMemberOn)
    }
}

extension CadreRecord.CarePlan: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        contact = try reader.read()
        createdOn = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(contact)
        writer.write(createdOn)
    }
}

extension CadreRecord.BranchStint: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        from = try reader.read()
        until = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(from)
        writer.write(until)
    }
}

extension HonourKey: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        title = try reader.read()
        level = try reader.read()
        year = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(title)
        writer.write(level)
        writer.write(year)
    }
}

extension CadreRecord: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        id = try reader.read()
        name = try reader.read()
        category = try reader.read()
        birthDate = try reader.read()
        formerLevel = try reader.read()
        formerUnit = try reader.read()
        retiredOn = try reader.read()
        residence = try reader.read()
        registeredOn = try reader.read()
        membership = try reader.read()
        diedOn = try reader.read()
        medal50AwardedOn = try reader.read()
        lastVisitedOn = try reader.read()
        branchStints = try reader.read()
        relocated = try reader.read()
        relocationArea = try reader.read()
        frail = try reader.read()
        limitedMobility = try reader.read()
        residenceChangedOn = try reader.read()
        relocationMarkedOn = try reader.read()
        healthChangedOn = try reader.read()
        honourablyRetiredOn = try reader.read()
        carePlan = try reader.read()
        lastPoliticalBirthdayOn = try reader.read()
        honours = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(id)
        writer.write(name)
        writer.write(category)
        writer.write(birthDate)
        writer.write(formerLevel)
        writer.write(formerUnit)
        writer.write(retiredOn)
        writer.write(residence)
        writer.write(registeredOn)
        writer.write(membership)
        writer.write(diedOn)
        writer.write(medal50AwardedOn)
        writer.write(lastVisitedOn)
        writer.write(branchStints)
        writer.write(relocated)
        writer.write(relocationArea)
        writer.write(frail)
        writer.write(limitedMobility)
        writer.write(residenceChangedOn)
        writer.write(relocationMarkedOn)
        writer.write(healthChangedOn)
        writer.write(honourablyRetiredOn)
        writer.write(carePlan)
        writer.write(lastPoliticalBirthdayOn)
        writer.write(honours)
    }
}

// MARK: Organisational life and study, for snapshots

extension MeetingID: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws { self.init(try reader.string()) }
    public func write(to writer: inout BinaryWriter) { writer.string(rawValue) }
}

extension OrganisationalLifeState.AwaitingStudy: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        branch = try reader.read()
        heldOn = try reader.read()
        absentees = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(branch)
        writer.write(heldOn)
        writer.write(absentees)
    }
}

extension OrganisationalLifeState.MonthlyMeetings: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        firstMonth = try reader.read()
        months = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(firstMonth)
        writer.write(months)
    }
}

extension OrganisationalLifeState.MonthCounts: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        generalMeetings = try reader.read()
        committeeMeetings = try reader.read()
        groupMeetings = try reader.read()
        partyLectures = try reader.read()
        themeDays = try reader.read()
        organisationalLifeMeetings = try reader.read()
        attendances = try reader.read()
        absences = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(generalMeetings)
        writer.write(committeeMeetings)
        writer.write(groupMeetings)
        writer.write(partyLectures)
        writer.write(themeDays)
        writer.write(organisationalLifeMeetings)
        writer.write(attendances)
        writer.write(absences)
    }
}

extension StudyState.YearHours: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        year = try reader.read()
        hours = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(year)
        writer.write(hours)
    }
}

extension StudyState.ScoreSum: BinaryCodable {
    public init(reading reader: inout BinaryReader) throws {
        total = try reader.read()
        count = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(total)
        writer.write(count)
    }
}

// The two states whole: their dictionaries are read by the codec's own form
// of a dictionary, specialized here for their keys and values (through the
// state's `Codable` form, each entry would be read through a generic call).

extension OrganisationalLifeState: BinaryCodable {
    /// A province's worth (tens of megabytes): written in pieces, it goes part by part.
    public static var ownFormMayBeLarge: Bool { true }

    public init(reading reader: inout BinaryReader) throws {
        awaitingStudy = try reader.read()
        evaluations = try reader.read()
        meetingsByMonth = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(awaitingStudy)
        writer.write(evaluations)
        writer.write(meetingsByMonth)
    }
}

extension StudyState: BinaryCodable {
    /// A province's worth (tens of megabytes): written in pieces, it goes part by part.
    public static var ownFormMayBeLarge: Bool { true }

    public init(reading reader: inout BinaryReader) throws {
        hours = try reader.read()
        quizByCadre = try reader.read()
        quizByYear = try reader.read()
    }

    public func write(to writer: inout BinaryWriter) {
        writer.write(hours)
        writer.write(quizByCadre)
        writer.write(quizByYear)
    }
}
