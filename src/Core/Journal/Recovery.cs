using System.Buffers.Binary;
using Exchange.Core.Commands;
using Exchange.Core.Pipeline;

namespace Exchange.Core.Journal;

/// <summary>
/// Rebuilds the exchange after a stop or a crash: the newest intact snapshot, then every journal command after it,
/// applied through <see cref="Exchange.Apply"/>. The result is exactly the state after the last journaled command,
/// which includes every command that was ever acknowledged (the output waits for the journal).
/// </summary>
public static class Recovery
{
    /// <summary>Recovers from the snapshot directory and journal of <paramref name="options"/> (either may be off).</summary>
    /// <param name="options">The options the pipeline ran with.</param>
    /// <param name="freshFactory">Makes a fresh exchange with the configuration the snapshots and journal were made
    /// with (options and instruments in the same order); called again for each snapshot that proves damaged.</param>
    /// <exception cref="JournalCorruptException">The journal is damaged other than by a torn tail.</exception>
    /// <exception cref="InvalidDataException">An intact snapshot does not fit the configuration, or the journal does not
    /// continue the state (its files up to the snapshot were removed and the snapshot is gone).</exception>
    public static RecoveryResult Recover(PipelineOptions options, Func<Exchange> freshFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Recover(options.SnapshotDirectory, options.Journal?.Directory, freshFactory);
    }

    /// <summary>Recovers from <paramref name="snapshotDirectory"/> and <paramref name="journalDirectory"/>; null or
    /// missing directories count as empty.</summary>
    /// <param name="snapshotDirectory">Where the snapshots are.</param>
    /// <param name="journalDirectory">Where the journal is.</param>
    /// <param name="freshFactory">As for <see cref="Recover(PipelineOptions, Func{Exchange})"/>.</param>
    /// <param name="lastSequence">Recover the state as of this sequence: newer snapshots are passed over and the
    /// replay stops after it (the state as of an earlier moment, for <c>exchange stress</c>).</param>
    /// <inheritdoc cref="Recover(PipelineOptions, Func{Exchange})" path="/exception"/>
    public static RecoveryResult Recover(string? snapshotDirectory, string? journalDirectory, Func<Exchange> freshFactory,
        long lastSequence = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(freshFactory);
        var skipped = new List<string>();
        Exchange? exchange = null;
        SnapshotFile? used = null;
        if (snapshotDirectory is not null)
        {
            foreach (var file in SnapshotStore.List(snapshotDirectory))
            {
                if (file.Sequence > lastSequence) continue;
                if (TryLoad(file, freshFactory, out exchange, out string? reason))
                {
                    used = file;
                    break;
                }

                skipped.Add($"{file.Path}: {reason}");
            }
        }

        exchange ??= Fresh(freshFactory);
        long replayed = 0;
        JournalTornTail? tornTail = null;
        if (journalDirectory is not null && Directory.Exists(journalDirectory))
        {
            // Retention removes files only behind the oldest snapshot kept: a state short of what it removed means that
            // snapshot is gone too, and replaying the rest would skip commands.
            long removedThrough = JournalRetention.RemovedThrough(journalDirectory);
            if (removedThrough > exchange.LastSequence)
                throw new InvalidDataException(
                    $"The journal in '{journalDirectory}' was removed through sequence {removedThrough} but the state is at {exchange.LastSequence}: " +
                    "the snapshot that covered the removed files is missing or no longer loads.");
            using var reader = new JournalReader(journalDirectory, exchange.LastSequence + 1);
            JournalReadStatus status;
            while ((status = reader.Read(out Command command)) == JournalReadStatus.Record)
            {
                if (command.Sequence > lastSequence) break;
                exchange.Apply(in command);
                replayed++;
            }

            if (status == JournalReadStatus.TornTail)
                tornTail = reader.TornTail;
        }

        return new RecoveryResult(exchange, used, skipped, replayed, tornTail);
    }

    /// <summary>
    /// Loads a snapshot if it is intact. Damage (short, bad checksum, or a name that disagrees with its content) is
    /// reported as a reason to fall back to an older snapshot; an intact snapshot that does not fit the configuration
    /// is a configuration error and throws, since no older snapshot would fit either.
    /// </summary>
    private static bool TryLoad(SnapshotFile file, Func<Exchange> freshFactory, out Exchange? exchange, out string? reason)
    {
        exchange = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file.Path);
        }
        catch (IOException exception)
        {
            reason = "unreadable: " + exception.Message;
            return false;
        }

        if (!HasValidChecksum(bytes))
        {
            reason = "damaged (too short or checksum mismatch)";
            return false;
        }

        var candidate = Fresh(freshFactory);
        SnapshotCodec.Read(bytes, candidate);
        if (candidate.LastSequence != file.Sequence)
        {
            reason = $"holds sequence {candidate.LastSequence}, not the {file.Sequence} its name says";
            return false;
        }

        exchange = candidate;
        reason = null;
        return true;
    }

    // The codec checks this too, but its exception would not tell damage from a configuration mismatch.
    private static bool HasValidChecksum(ReadOnlySpan<byte> snapshot) =>
        snapshot.Length > sizeof(uint)
        && Crc32C.Compute(snapshot[..^sizeof(uint)]) == BinaryPrimitives.ReadUInt32LittleEndian(snapshot[^sizeof(uint)..]);

    private static Exchange Fresh(Func<Exchange> freshFactory)
    {
        var exchange = freshFactory() ?? throw new InvalidOperationException("The factory returned null.");
        if (exchange.LastSequence != 0)
            throw new InvalidOperationException("The factory must return a fresh exchange, to which no command was applied.");
        return exchange;
    }
}
