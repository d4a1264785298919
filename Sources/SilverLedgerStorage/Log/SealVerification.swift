/// Checking a store's seals (FORMAT.md §19) and the incremental verification.
extension StoreWalker {
    /// The whole seal records of `SEALS`, decoded; damage is reported and ends the list there.
    func readSeals(report: inout VerificationReport) -> [SealRecord] {
        guard names.contains(Format.sealsFileName) else { return [] }
        let bytes: [UInt8]
        do throws(StorageError) {
            let file = try fs.open(paths.seals, .read)
            defer { fs.close(file) }
            bytes = try fs.read(file, count: Int(try fs.size(file)), at: 0)
        } catch {
            report.problems.append(.init(kind: .corruption, message: "the seals cannot be read: \(error.message)", path: paths.seals))
            return []
        }
        let whole = bytes.count / SealRecord.length
        report.seals = whole
        if bytes.count % SealRecord.length != 0 {
            report.problems.append(.init(kind: .notice, message: "\(bytes.count % SealRecord.length) bytes of a seal record cut short by a crash (the writer writes over them)",
                                         path: paths.seals, offset: Int64(whole * SealRecord.length)))
        }
        var seals: [SealRecord] = []
        for i in 0..<whole {
            let offset = i * SealRecord.length
            switch SealRecord.decode(bytes[offset..<(offset + SealRecord.length)], magic: SealRecord.sealMagic) {
            case .failure(let p):
                report.problems.append(.init(kind: .corruption, message: "seal \(i): \(p.message)", path: paths.seals, offset: Int64(offset)))
                return seals
            case .success(let seal):
                if seal.sequence != UInt64(i) {
                    report.problems.append(.init(kind: .corruption, message: "seal \(i) carries sequence number \(seal.sequence): seals were removed, reordered or copied in",
                                                 path: paths.seals, offset: Int64(offset)))
                    return seals
                }
                if let previous = seals.last, seal.position < previous.position {
                    report.problems.append(.init(kind: .corruption, message: "seal \(i) seals position \(seal.position), before seal \(i - 1)'s \(previous.position)",
                                                 path: paths.seals, offset: Int64(offset), position: seal.position))
                    return seals
                }
                seals.append(seal)
            }
        }
        return seals
    }

    /// The `VERIFIED` record to resume from, if there is one made with the key;
    /// one that is damaged or not made with the key is reported.
    func resumePoint(report: inout VerificationReport) -> SealRecord? {
        guard let key = sealKey, names.contains(Format.verifiedFileName) else { return nil }
        let bytes: [UInt8]
        do throws(StorageError) {
            let file = try fs.open(paths.verified, .read)
            defer { fs.close(file) }
            bytes = try fs.read(file, count: Int(try fs.size(file)), at: 0)
        } catch {
            report.problems.append(.init(kind: .notice, message: "\(Format.verifiedFileName) cannot be read (\(error.message)); verifying from the start", path: paths.verified))
            return nil
        }
        switch SealRecord.decode(bytes[...], magic: SealRecord.verifiedMagic) {
        case .failure(let p):
            report.problems.append(.init(kind: .corruption, message: "\(Format.verifiedFileName): \(p.message); verifying from the start", path: paths.verified, offset: 0))
            return nil
        case .success(let record):
            guard record.keyID == key.id else {
                report.problems.append(.init(kind: .notice, message: "\(Format.verifiedFileName) was made with another key (key id \(record.keyID.hexString)); verifying from the start", path: paths.verified))
                return nil
            }
            guard record.isMade(by: key, storeID: manifest.storeID) else {
                report.problems.append(.init(kind: .corruption, message: "\(Format.verifiedFileName) names this key but its MAC does not match: it was altered; verifying from the start",
                                             path: paths.verified, offset: 0, position: record.position))
                return nil
            }
            return record
        }
    }

    /// Compares the log's chain hash at `position` with `expected`; reports a difference, or a log that ends before it.
    mutating func checkChain(at position: UInt64, is expected: ChainHash, what: String, path: String, offset: Int64,
                             reachable: Bool, report: inout VerificationReport) throws(StorageError) {
        guard let actual = try chainAt(position) else {
            // The walk stopped on damage before it: that damage is reported already.
            if reachable {
                report.problems.append(.init(kind: .corruption, message: "the log ends at position \(report.nextPosition), before \(what) at \(position): records it held were removed",
                                             path: path, offset: offset, position: position))
            }
            return
        }
        if actual != expected {
            report.problems.append(.init(kind: .corruption, message: "the log's chain hash at position \(position) is \(actual), not \(expected) as \(what) recorded: the log before it was rewritten",
                                         path: path, offset: offset, position: position))
        }
    }

    /// Checks every seal against the log and, with the key, its MAC.
    mutating func checkSeals(_ seals: [SealRecord], reachable: Bool, report: inout VerificationReport) throws(StorageError) {
        if seals.isEmpty {
            if sealKey != nil && report.seals == 0 {
                report.problems.append(.init(kind: .corruption, message: "a seal key was given but the store has no seal: its seals were removed, or it was never sealed",
                                             path: paths.seals))
            }
            return
        }
        for (i, seal) in seals.enumerated() {
            let offset = Int64(i * SealRecord.length)
            if let key = sealKey {
                guard seal.keyID == key.id else {
                    report.problems.append(.init(kind: .corruption, message: "seal \(i) was made with another key (key id \(seal.keyID.hexString), this key \(key.idHex))",
                                                 path: paths.seals, offset: offset, position: seal.position))
                    return
                }
                guard seal.isMade(by: key, storeID: manifest.storeID) else {
                    report.problems.append(.init(kind: .corruption, message: "seal \(i) names this key but its MAC does not match: the seal was altered or forged",
                                                 path: paths.seals, offset: offset, position: seal.position))
                    return
                }
                report.sealsChecked += 1
            }
            let before = report.problems.count
            try checkChain(at: seal.position, is: seal.chainHash, what: "seal \(i) (made at \(seal.sealedAt) µs)", path: paths.seals, offset: offset,
                           reachable: reachable, report: &report)
            guard report.problems.count == before else { return }
            if chains[seal.position] != nil || seal.position <= report.nextPosition {
                report.sealedThrough = seal.position
                report.lastSealedAt = seal.sealedAt
            }
        }
    }

    /// Records the end of an intact verification with the key in `VERIFIED`
    /// (atomically), for the next incremental one; a failure is a notice.
    func recordVerified(_ report: inout VerificationReport, key: SealKey) {
        // The walk keeps the chain at the end it reached.
        guard let chain = chains[report.nextPosition] else { return }
        let record = SealRecord(magic: SealRecord.verifiedMagic, sequence: 0, position: report.nextPosition, chainHash: chain,
                                sealedAt: systemClockMicroseconds(), key: key, storeID: manifest.storeID)
        do throws(StorageError) {
            try fs.writeAtomically(record.encoded(), to: paths.verified, directory: paths.directory)
        } catch {
            report.problems.append(.init(kind: .notice, message: "the position verified could not be recorded for the next incremental verification: \(error.message)",
                                         path: paths.verified))
        }
    }

    /// The chain hash after the batch that ends at `position` (the chain the
    /// segment starting there starts from), nil if the log does not reach
    /// `position` at a batch boundary. What the walk did not keep is read from
    /// batch headers, without rehashing, a segment at most once: its batch ends
    /// at every wanted position are kept, so that many seals before an
    /// incremental verification's start do not read the same headers again.
    mutating func chainAt(_ position: UInt64) throws(StorageError) -> ChainHash? {
        if position == 0 { return .genesis(storeID: manifest.storeID) }
        if let known = chains[position] { return known }
        guard let i = segmentFirsts.lastIndex(where: { $0 < position }), !headersRead.contains(segmentFirsts[i]) else { return nil }
        headersRead.insert(segmentFirsts[i])
        let file = try fs.open(paths.segment(segmentFirsts[i]), .read)
        defer { fs.close(file) }
        var scanner = BatchScanner(fs: fs, file: file, fileSize: try fs.size(file), offset: Int64(Format.segmentHeaderLength),
                                   position: segmentFirsts[i], chain: .genesis(storeID: manifest.storeID), lastTimestamp: .min, key: encryptionKey)
        while case .success(let batch)? = try scanner.next(verifyChain: false) {
            let end = batch.header.nextPosition
            if end == position || wantedChains.contains(end) { chains[end] = batch.header.chainHash }
        }
        return chains[position]
    }
}
