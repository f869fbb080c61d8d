"""Which photographs of the shared data set (``../shared/data/photos``) train the colouriser.

Paths are relative to the photos folder. The held-out photos are never trained on:

- :data:`HELD_OUT_VIDEO`: every photo the video-colourisation benchmark uses
  (``tests/benchmarks/shots.py``: backgrounds and sprites), so the auto-coloured keyframes of that
  benchmark come from a model that never saw those pictures;
- :data:`HELD_OUT_STILL`: five more of varied content (mountain landscape, macro with flowers,
  architecture, a person, an interior) for the still-photo benchmark;
- :data:`EXCLUDED`: near-duplicates of held-out photos (training on them would leak), not scored.

The still benchmark scores :data:`HELD_OUT_VIDEO` + :data:`HELD_OUT_STILL` (23 photos).
"""

from __future__ import annotations

HELD_OUT_VIDEO: tuple[str, ...] = (
    "mate-backgrounds/Garden.jpg",
    "lomiri-wallpapers-16.04/Picture_1A_by_freespace.jpg",
    "mate-backgrounds/Dune.jpg",
    "plasma-workspace-wallpapers/FallenLeaf.jpg",
    "plasma-workspace-wallpapers/ColorfulCups.jpg",
    "plasma-workspace-wallpapers/EveningGlow.jpg",
    "opencv-doc/baboon.jpg",
    "opencv-doc/smarties.png",
    "opencv-doc/orange.jpg",
    "opencv-doc/butterfly.jpg",
    "opencv-doc/apple.jpg",
    "plasma-workspace-wallpapers/Kite.jpg",
    "opencv-doc/rubberwhale1.png",
    "opencv-doc/squirrel_cls.jpg",
    "opencv-doc/fruits.jpg",
    "mate-backgrounds/YellowFlower.jpg",
    "lomiri-wallpapers-16.04/Picture_0B_by_freespace.jpg",
    "opencv-doc/home.jpg",
)

HELD_OUT_STILL: tuple[str, ...] = (
    "lomiri-wallpapers-16.04/picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "mate-backgrounds/LadyBird.jpg",
    "opencv-doc/building.jpg",
    "opencv-doc/messi5.jpg",
    "lomiri-wallpapers-16.04/Wine_by_Jakkub_Mede.jpg",
)

EXCLUDED: dict[str, str] = {
    "opencv-doc/rubberwhale2.png": "near-duplicate of the held-out opencv-doc/rubberwhale1.png",
}

TRAIN: tuple[str, ...] = (
    "lomiri-wallpapers-16.04/Bridge_by_Sander_Klootwijk.jpg",
    "lomiri-wallpapers-16.04/Dragonfly_by_Bolly.jpg",
    "lomiri-wallpapers-16.04/aitzgorri_by_Aitzol_Berasategi.jpg",
    "lomiri-wallpapers-16.04/analogpattern_by_Peter_Nerlich.jpg",
    "lomiri-wallpapers-16.04/free_by_Peter_Nerlich.jpg",
    "lomiri-wallpapers-16.04/friends_by_Aitzol_Berasategi.jpg",
    "lomiri-wallpapers-16.04/greentock_by_Peter_Nerlich.jpg",
    "lomiri-wallpapers-16.04/life_by_Aitzol_Berasategi.jpg",
    "lomiri-wallpapers-16.04/seeding_by_Clements_Engelhardt.jpg",
    "lomiri-wallpapers-16.04/sunset_by_Aitzol_Berasategi.jpg",
    "lomiri-wallpapers-20.04/Kleiber_by_Lukas_Baubkus.jpg",
    "mate-backgrounds/Aqua.jpg",
    "mate-backgrounds/Blinds.jpg",
    "mate-backgrounds/FreshFlower.jpg",
    "mate-backgrounds/GreenMeadow.jpg",
    "mate-backgrounds/RainDrops.jpg",
    "mate-backgrounds/Storm.jpg",
    "mate-backgrounds/TwoWings.jpg",
    "mate-backgrounds/Wood.jpg",
    "opencv-doc/aloeL.jpg",
    "opencv-doc/aloeR.jpg",
    "opencv-doc/board.jpg",
    "opencv-doc/ela_original.jpg",
    "opencv-doc/graf1.png",
    "opencv-doc/graf3.png",
    "opencv-doc/leuvenA.jpg",
    "opencv-doc/leuvenB.jpg",
    "plasma-workspace-wallpapers/BytheWater.jpg",
    "plasma-workspace-wallpapers/ColdRipple.jpg",
    "plasma-workspace-wallpapers/DarkestHour.jpg",
    "plasma-workspace-wallpapers/Grey.jpg",
    "plasma-workspace-wallpapers/OneStandsOut.jpg",
    "plasma-workspace-wallpapers/Path.jpg",
    "plasma-workspace-wallpapers/summer_1am.jpg",
)


def held_out() -> tuple[str, ...]:
    """Every photo the still benchmark scores: :data:`HELD_OUT_VIDEO` then :data:`HELD_OUT_STILL`."""
    return HELD_OUT_VIDEO + HELD_OUT_STILL
