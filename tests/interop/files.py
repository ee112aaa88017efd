"""Independent readers and writers for the format tests (tests/formats.rs): soundfile
(libsndfile) for WAV and mido for MIDI. Each command prints one JSON object on stdout.

  wav-fixtures DIR        write WAVs in every format the reader takes, plus what soundfile reads
  read-wav FILE RAW       soundfile's reading of FILE: planar float32 to RAW, header as JSON
  midi-fixtures DIR       write MIDI files with known notes, tempo changes, tracks and SysEx
  read-midi FILE          the notes mido reads from FILE, with times in ticks and seconds
  audio-pieces DIR N SEED SECONDS
                          write N stereo WAVs (soundfile): click loops at known tempi over a chord;
                          print each one's tempo
  midi-pieces DIR N SEED  write N short tonal pieces in random keys (chords, a melody, drums on
                          channel 10), most declaring C major whatever their key; print each key
"""
import json
import math
import os
import sys

import numpy as np


def planar_f32(path, data):
    np.ascontiguousarray(data.T, dtype='<f4').tofile(path)


def wav_fixtures(out):
    import soundfile as sf
    made = []
    rng = np.random.default_rng(7)
    for subtype in ['PCM_U8', 'PCM_16', 'PCM_24', 'PCM_32', 'FLOAT', 'DOUBLE']:
        for channels in [1, 2]:
            for rate in [22050, 44100, 48000, 96000]:
                frames = 1000 + rate // 100
                t = np.arange(frames) / rate
                cols = [0.7 * np.sin(2 * math.pi * (220 + 110 * c) * t) + 0.05 * rng.standard_normal(frames)
                        for c in range(channels)]
                data = np.clip(np.stack(cols, axis=1), -1, 0.999)
                name = f'{subtype.lower()}_{channels}ch_{rate}.wav'
                path = os.path.join(out, name)
                sf.write(path, data, rate, subtype=subtype)
                back, _ = sf.read(path, dtype='float32', always_2d=True)
                planar_f32(path + '.f32', back)
                made.append({'file': name, 'rate': rate, 'channels': channels, 'frames': int(back.shape[0]),
                             'subtype': subtype, 'extensible': sf.info(path).format_info})
    # WAVE_FORMAT_EXTENSIBLE, as libsndfile writes for more than two channels.
    data = np.stack([0.5 * np.sin(2 * math.pi * 300 * (c + 1) * np.arange(4000) / 48000) for c in range(4)], axis=1)
    for subtype in ['PCM_24', 'FLOAT']:
        name = f'quad_{subtype.lower()}.wav'
        sf.write(os.path.join(out, name), data, 48000, subtype=subtype, format='WAVEX')
        back, _ = sf.read(os.path.join(out, name), dtype='float32', always_2d=True)
        planar_f32(os.path.join(out, name) + '.f32', back)
        made.append({'file': name, 'rate': 48000, 'channels': 4, 'frames': 4000, 'subtype': subtype, 'extensible': 'WAVEX'})
    return made


def read_wav(path, raw):
    import soundfile as sf
    info = sf.info(path)
    back, rate = sf.read(path, dtype='float32', always_2d=True)
    planar_f32(raw, back)
    return {'rate': rate, 'channels': info.channels, 'frames': int(back.shape[0]), 'subtype': info.subtype}


def notes_of(mid):
    """Notes per track as mido reads them (a note-off ends the earliest sounding note of its
    key and channel), in ticks, and in seconds by mido's tick2second over the tempo map."""
    import mido
    notes, tempo_map = [], []
    for index, track in enumerate(mid.tracks):
        now, sounding = 0, {}
        for msg in track:
            now += msg.time
            if msg.type == 'set_tempo':
                tempo_map.append((now, msg.tempo))
            elif msg.type == 'note_on' and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((now, msg.velocity))
            elif msg.type in ('note_off', 'note_on'):
                starts = sounding.get((msg.channel, msg.note))
                if starts:
                    start, velocity = starts.pop(0)
                    notes.append({'track': index, 'channel': msg.channel, 'key': msg.note, 'velocity': velocity,
                                  'start_tick': start, 'end_tick': now})
    tempo_map.sort(key=lambda x: x[0])

    def seconds(tick):
        total, last, tempo = 0.0, 0, 500000
        for at, t in tempo_map:
            if at >= tick:
                break
            total += mido.tick2second(at - last, mid.ticks_per_beat, tempo)
            last, tempo = at, t
        return total + mido.tick2second(tick - last, mid.ticks_per_beat, tempo)

    for n in notes:
        n['start_seconds'] = seconds(n['start_tick'])
        n['end_seconds'] = seconds(n['end_tick'])
    return notes, [{'tick': at, 'micros_per_quarter': t} for at, t in tempo_map]


def midi_fixtures(out):
    import mido
    made = []
    rng = np.random.default_rng(11)
    for fmt in [0, 1]:
        for case in range(3):
            mid = mido.MidiFile(type=fmt, ticks_per_beat=[96, 480, 960][case])
            tpb = mid.ticks_per_beat
            tracks = 1 if fmt == 0 else 3
            for index in range(tracks):
                track = mido.MidiTrack()
                mid.tracks.append(track)
                if index == 0:
                    track.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(90 + 30 * case), time=0))
                    track.append(mido.MetaMessage('time_signature', numerator=3 + case, denominator=4, time=0))
                    track.append(mido.MetaMessage('key_signature', key=['A', 'Eb', 'F#m'][case], time=0))
                track.append(mido.MetaMessage('track_name', name=f'part {index}', time=0))
                track.append(mido.Message('sysex', data=[0x7E, 0x7F, 0x09, 0x01], time=0))
                events = []
                for k in range(40):
                    channel = (index * 3 + k % 2) % 16 if fmt == 0 else index
                    start = int(rng.integers(0, 16 * tpb))
                    length = int(rng.integers(1, 2 * tpb))
                    key, vel = int(rng.integers(21, 109)), int(rng.integers(1, 128))
                    events.append((start, 1, mido.Message('note_on', channel=channel, note=key, velocity=vel)))
                    off = (mido.Message('note_off', channel=channel, note=key, velocity=64) if k % 3
                           else mido.Message('note_on', channel=channel, note=key, velocity=0))
                    events.append((start + length, 0, off))
                if index == 0:
                    # A tempo change halfway, and another later.
                    events.append((8 * tpb, 0, mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(140.5))))
                    events.append((12 * tpb + 7, 0, mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(61))))
                events.sort(key=lambda e: (e[0], e[1]))
                now = 0
                for at, _, msg in events:
                    track.append(msg.copy(time=at - now))
                    now = at
            name = f'format{fmt}_case{case}.mid'
            mid.save(os.path.join(out, name))
            notes, tempo = notes_of(mido.MidiFile(os.path.join(out, name)))
            made.append({'file': name, 'format': fmt, 'ticks_per_beat': tpb, 'notes': notes, 'tempo_map': tempo})
    return made


def read_midi(path):
    import mido
    mid = mido.MidiFile(path)
    notes, tempo = notes_of(mid)
    return {'format': mid.type, 'ticks_per_beat': mid.ticks_per_beat, 'tracks': len(mid.tracks),
            'notes': notes, 'tempo_map': tempo}


NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B']
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
# Progressions as scale degrees (0 = tonic), each chord one bar, ending on the tonic.
MAJOR_PROGRESSIONS = [[0, 3, 4, 0], [0, 5, 3, 4, 0], [0, 4, 5, 3, 0], [1, 4, 0, 0], [0, 3, 0, 4, 0], [0, 5, 1, 4, 0]]
MINOR_PROGRESSIONS = [[0, 3, 4, 0], [0, 5, 3, 4, 0], [0, 3, 6, 2, 4, 0], [0, 5, 2, 4, 0], [0, 3, 0, 4, 0]]
# mido's key_signature names.
SIGNATURE_NAMES = {False: ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'],
                   True: ['Cm', 'C#m', 'Dm', 'Ebm', 'Em', 'Fm', 'F#m', 'Gm', 'G#m', 'Am', 'Bbm', 'Bm']}


def chord_pitches(tonic, minor, degree):
    """The triad on `degree`: stacked scale thirds; in minor the dominant's third is raised
    (harmonic minor), as composers write it."""
    scale = MINOR if minor else MAJOR
    pitches = []
    for step in (0, 2, 4):
        index = degree + step
        pc = scale[index % 7]
        if minor and degree == 4 and step == 2:
            pc = 11
        pitches.append(tonic + pc + 12 * (index // 7))
    return pitches


def midi_pieces(out, count, seed):
    import mido
    rng = np.random.default_rng(int(seed))
    made = []
    for n in range(int(count)):
        tonic = int(rng.integers(0, 12))
        minor = bool(rng.integers(0, 2))
        tpb = 480
        mid = mido.MidiFile(type=1, ticks_per_beat=tpb)
        conductor = mido.MidiTrack()
        mid.tracks.append(conductor)
        conductor.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(float(rng.uniform(70, 160))), time=0))
        declared_true = rng.random() < 0.3
        conductor.append(mido.MetaMessage('key_signature', key=SIGNATURE_NAMES[minor][tonic] if declared_true else 'C'))
        progression = (MINOR_PROGRESSIONS if minor else MAJOR_PROGRESSIONS)[int(rng.integers(0, 5))]
        bar = 4 * tpb
        chords, melody, drums = [], [], []
        scale = MINOR if minor else MAJOR
        step = 0
        for index, degree in enumerate(progression):
            start = index * bar
            pitches = chord_pitches(tonic, minor, degree)
            for p in pitches:
                chords.append((start, bar, 48 + p, 70))
            chords.append((start, bar, 36 + pitches[0], 80))
            # A melody in eighths and quarters: chord tones on the beats, scale steps between.
            at = 0
            while at < bar:
                length = tpb if rng.random() < 0.5 else tpb // 2
                if at % tpb == 0:
                    p = pitches[int(rng.integers(0, 3))]
                    step = scale.index((p - tonic) % 12) if (p - tonic) % 12 in scale else step
                else:
                    step = int(np.clip(step + rng.choice([-1, 1]), 0, 6))
                    p = tonic + scale[step]
                melody.append((start + at, length, 72 + (p % 12 if p % 12 >= 0 else p), int(rng.integers(70, 110))))
                at += length
            for beat in range(4):
                drums.append((start + beat * tpb, tpb // 4, 36 if beat % 2 == 0 else 38, 100))
                drums.append((start + beat * tpb + tpb // 2, tpb // 4, 42, 70))
        for channel, notes, name in [(0, chords, 'chords'), (1, melody, 'melody'), (9, drums, 'drums')]:
            track = mido.MidiTrack()
            mid.tracks.append(track)
            track.append(mido.MetaMessage('track_name', name=name, time=0))
            events = []
            for start, length, key, velocity in notes:
                events.append((start, 1, mido.Message('note_on', channel=channel, note=key, velocity=velocity)))
                events.append((start + length, 0, mido.Message('note_off', channel=channel, note=key, velocity=0)))
            events.sort(key=lambda e: (e[0], e[1]))
            now = 0
            for at, _, msg in events:
                track.append(msg.copy(time=at - now))
                now = at
        name = f'piece{n:03}.mid'
        mid.save(os.path.join(out, name))
        made.append({'file': name, 'key': f"{NAMES[tonic]} {'minor' if minor else 'major'}",
                     'declared': f"{NAMES[tonic]} {'minor' if minor else 'major'}" if declared_true else 'C major'})
    return made


def audio_pieces(out, count, seed, seconds):
    import soundfile as sf
    rng = np.random.default_rng(int(seed))
    made = []
    for n in range(int(count)):
        rate = int(rng.choice([22050, 44100, 48000]))
        bpm = float(rng.uniform(70, 170))
        t = np.arange(int(float(seconds) * rate)) / rate
        clicks = np.zeros_like(t)
        for beat in np.arange(0, float(seconds), 60 / bpm):
            start = int(beat * rate)
            burst = clicks[start:start + rate // 50]
            burst += np.exp(-np.arange(len(burst)) / (rate / 1000)) * rng.uniform(0.3, 0.6) * np.sign(rng.standard_normal(len(burst)))
        root = 110 * 2 ** (int(rng.integers(0, 12)) / 12)
        chord = sum(0.05 * np.sin(2 * np.pi * root * r * t) for r in (1, 1.25, 1.5, 2))
        name = f'loop{n:03}.wav'
        sf.write(os.path.join(out, name), np.stack([chord + clicks, chord + 0.8 * clicks], axis=1), rate, subtype='PCM_16')
        made.append({'file': name, 'bpm': bpm, 'rate': rate})
    return made


if __name__ == '__main__':
    command, args = sys.argv[1], sys.argv[2:]
    result = {
        'wav-fixtures': lambda: wav_fixtures(*args),
        'read-wav': lambda: read_wav(*args),
        'midi-fixtures': lambda: midi_fixtures(*args),
        'read-midi': lambda: read_midi(*args),
        'midi-pieces': lambda: midi_pieces(*args),
        'audio-pieces': lambda: audio_pieces(*args),
    }[command]()
    json.dump(result, sys.stdout)
