//! SVG charts through the plotters SVG backend. Amounts become `f64` here only to place pixels;
//! every printed figure stays in the tables.

use plotters::prelude::*;
use rust_decimal::prelude::ToPrimitive;

use crate::model::{Chart, ChartKind};

const WIDTH: u32 = 680;
const HEIGHT: u32 = 260;

/// The chart as a standalone `<svg>` element. A chart without points draws an empty frame.
pub fn chart_svg(chart: &Chart) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let n = chart.labels.len();
        let values: Vec<Vec<f64>> = chart
            .series
            .iter()
            .map(|s| s.values.iter().map(|v| v.to_f64().unwrap_or(0.0)).collect())
            .collect();
        let max = values
            .iter()
            .flatten()
            .copied()
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let min = values.iter().flatten().copied().fold(0.0_f64, f64::min);
        // Plot area inside a margin; axes drawn as plain lines (no font metrics needed).
        let (left, right, top, bottom) = (10i32, WIDTH as i32 - 10, 10i32, HEIGHT as i32 - 10);
        let span = (max - min).max(1.0);
        let y_of = |v: f64| bottom - (((v - min) / span) * f64::from(bottom - top)) as i32;
        let axis = ShapeStyle::from(&BLACK).stroke_width(1);
        root.draw(&PathElement::new(vec![(left, top), (left, bottom)], axis))
            .map_err(|e| e.to_string())?;
        root.draw(&PathElement::new(
            vec![(left, y_of(0.0)), (right, y_of(0.0))],
            axis,
        ))
        .map_err(|e| e.to_string())?;
        if n > 0 {
            let step = f64::from(right - left) / n as f64;
            let colors = [BLUE, RED, GREEN, MAGENTA];
            for (si, vals) in values.iter().enumerate() {
                let color = colors[si % colors.len()];
                match chart.kind {
                    ChartKind::Line => {
                        let pts: Vec<(i32, i32)> = vals
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (left + (step * (i as f64 + 0.5)) as i32, y_of(*v)))
                            .collect();
                        root.draw(&PathElement::new(
                            pts.clone(),
                            ShapeStyle::from(&color).stroke_width(2),
                        ))
                        .map_err(|e| e.to_string())?;
                        for p in pts {
                            root.draw(&Circle::new(p, 2, color.filled()))
                                .map_err(|e| e.to_string())?;
                        }
                    }
                    ChartKind::Bar => {
                        let k = values.len().max(1) as f64;
                        for (i, v) in vals.iter().enumerate() {
                            let x0 = left
                                + (step * i as f64 + step * 0.1 + step * 0.8 * si as f64 / k)
                                    as i32;
                            let x1 = x0 + (step * 0.8 / k) as i32;
                            let (ya, yb) = (y_of(*v), y_of(0.0));
                            root.draw(&Rectangle::new(
                                [(x0, ya.min(yb)), (x1.max(x0 + 1), ya.max(yb))],
                                color.mix(0.8).filled(),
                            ))
                            .map_err(|e| e.to_string())?;
                        }
                    }
                }
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
