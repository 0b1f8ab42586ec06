using System.Runtime.CompilerServices;
using Exchange.Core.Commands;

namespace Exchange.Core.Events;

/// <summary>The events of the command being applied, in a reused array: cleared per command, grown out of line when a
/// large cascade needs more room, so the steady state never allocates.</summary>
internal sealed class EventBuffer
{
    private Event[] _events;
    private int _count;
    private long _sequence;
    private long _timestamp;
    private CommandType _command;

    public EventBuffer(int capacity) => _events = new Event[capacity];

    public int Count => _count;

    public ReadOnlySpan<Event> Span => new(_events, 0, _count);

    /// <summary>The <paramref name="index"/>th event of the command (valid until the next <see cref="Add"/>).</summary>
    public ref readonly Event this[int index] => ref _events[index];

    /// <summary>The last event added (there is one).</summary>
    public ref Event Last => ref _events[_count - 1];

    /// <summary>Starts the events of <paramref name="command"/>: each is stamped with its sequence, type and timestamp.</summary>
    public void Begin(in Command command)
    {
        _count = 0;
        _sequence = command.Sequence;
        _timestamp = command.Timestamp;
        _command = command.Type;
    }

    /// <summary>Appends a zeroed event of the given type stamped with the command's sequence, type and timestamp; fill in
    /// the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Event Add(EventType type)
    {
        if (_count == _events.Length) Grow();
        ref var e = ref _events[_count++];
        e = default;
        e.Type = type;
        e.Sequence = _sequence;
        e.Timestamp = _timestamp;
        e.CommandType = _command;
        return ref e;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow() => Array.Resize(ref _events, _events.Length * 2);
}
