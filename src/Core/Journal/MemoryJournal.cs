using System.Diagnostics.CodeAnalysis;
using Exchange.Core.Commands;

namespace Exchange.Core.Journal;

/// <summary>
/// A journal in memory, for tests and tools: commands are kept in a preallocated array of fixed capacity (nothing is
/// durable). Appending past the capacity throws, which stops the pipeline like a full disk would.
/// </summary>
/// <remarks>
/// Written by the journal stage's thread; <see cref="Committed"/> may be read from another thread once the pipeline
/// is disposed (or, while it runs, up to a count read from <see cref="CommittedCount"/>).
/// </remarks>
public sealed class MemoryJournal : IJournal
{
    private readonly Command[] _commands;
    private int _count;
    private int _committed;

    /// <param name="capacity">How many commands it can hold.</param>
    public MemoryJournal(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _commands = new Command[capacity];
    }

    /// <inheritdoc/>
    public long LastSequence { get; private set; } = -1;

    /// <summary>How many commands <see cref="Commit"/> has made visible.</summary>
    public int CommittedCount => Volatile.Read(ref _committed);

    /// <summary>How many commits there were (each ends one batch).</summary>
    public long Commits { get; private set; }

    /// <summary>The committed commands, oldest first.</summary>
    public ReadOnlySpan<Command> Committed => _commands.AsSpan(0, CommittedCount);

    /// <inheritdoc/>
    public void Append(in Command command)
    {
        if (command.Sequence <= LastSequence)
            ThrowSequenceNotIncreasing(command.Sequence, LastSequence);
        if (_count == _commands.Length)
            ThrowFull(_commands.Length);
        _commands[_count++] = command;
        LastSequence = command.Sequence;
    }

    /// <inheritdoc/>
    public void Commit()
    {
        Commits++;
        Volatile.Write(ref _committed, _count);
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }

    [DoesNotReturn]
    private static void ThrowSequenceNotIncreasing(long sequence, long last) =>
        throw new ArgumentOutOfRangeException(nameof(sequence), sequence,
            $"Journal sequences must increase: {sequence} does not follow {last}.");

    [DoesNotReturn]
    private static void ThrowFull(int capacity) =>
        throw new InvalidOperationException($"The memory journal is full ({capacity} commands).");
}
